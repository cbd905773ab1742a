-- Give the built-in roles of existing tenants the CRM permissions that src/authz/permissions.ts now
-- grants them (new tenants get them at creation). Only adds; permissions an administrator removed from
-- or added to a role stay as they are otherwise. One tenant at a time with app.tenant_id set, so the
-- FORCE'd row-level security lets a migrating role that is the table owner (not superuser) through.
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t.id::text, true);
    UPDATE roles r SET permissions = (SELECT array_agg(DISTINCT p ORDER BY p) FROM unnest(r.permissions || extra.add) p), updated_at = now()
    FROM (VALUES
      ('admin', ARRAY['TICKET_READ','TICKET_WRITE','FEEDBACK_READ','FEEDBACK_WRITE','STATS_READ']),
      ('support_agent', ARRAY['TICKET_READ','TICKET_WRITE','FEEDBACK_WRITE']),
      ('support_lead', ARRAY['TICKET_READ','TICKET_WRITE','FEEDBACK_READ','FEEDBACK_WRITE','STATS_READ'])
    ) AS extra(key, add)
    WHERE r.tenant_id = t.id AND r.built_in AND r.key = extra.key AND NOT r.permissions @> extra.add;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;
