-- Hand-written security layer: the application role, tenant row-level security, and the append-only,
-- hash-chained audit log. Runs on PostgreSQL 15 and on PGlite.

-- The role every application statement runs as (SET LOCAL ROLE in each request transaction):
-- not a superuser, not the owner of any table, no BYPASSRLS, so FORCE'd policies always apply.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_app') THEN
    CREATE ROLE warden_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO warden_app;
--> statement-breakpoint
GRANT SELECT ON tenants TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON users, teams, team_members, roles, role_assignments, sessions, articles, customers TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_events TO warden_app;
--> statement-breakpoint

-- The current tenant, or NULL when unset or reset to '' (so a query without tenant context sees nothing).
-- STABLE and wrapped in a sub-select by the policies, so it is evaluated once per statement.
CREATE OR REPLACE FUNCTION warden_current_tenant() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
--> statement-breakpoint

-- Tenant isolation for a set of tables: RLS enabled and FORCE'd (owners too), one policy on
-- app.tenant_id evaluated once per statement. Every later migration that adds tenant tables calls it.
CREATE OR REPLACE FUNCTION warden_isolate_tenants(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT warden_current_tenant())) WITH CHECK (tenant_id = (SELECT warden_current_tenant()))',
      t);
  END LOOP;
END
$$;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['users','teams','team_members','roles','role_assignments','sessions','articles','customers','audit_events']);
--> statement-breakpoint

-- Canonical text of an audit event: what the hash covers. jsonb text output is deterministic
-- (keys ordered), and the timestamp is an integer of microseconds, independent of the session time zone.
CREATE OR REPLACE FUNCTION audit_canonical(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'tenant', e.tenant_id,
    'seq', e.seq,
    'at', (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
    'actor', e.actor_id,
    'session', e.session_id,
    'action', e.action,
    'resourceType', e.resource_type,
    'resourceIds', to_jsonb(e.resource_ids),
    'field', e.field,
    'outcome', e.outcome,
    'detail', e.detail,
    'requestId', e.request_id
  )::text
$$;
--> statement-breakpoint

-- hash = SHA-256(prev_hash || canonical event). A per-tenant transaction lock serialises writers, and
-- seq is assigned under it, so the chain order is the seq order even with concurrent transactions.
CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE last audit_events%ROWTYPE;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('warden.audit:' || NEW.tenant_id::text, 0));
  SELECT * INTO last FROM audit_events WHERE tenant_id = NEW.tenant_id ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := last.hash;
  NEW.hash := sha256(coalesce(last.hash, ''::bytea) || convert_to(audit_canonical(NEW), 'UTF8'));
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain();
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint

-- Live stream: subscribers on every instance LISTEN here; delivered at commit, so nothing uncommitted leaks.
CREATE OR REPLACE FUNCTION audit_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('warden_audit', json_build_object('tenantId', NEW.tenant_id, 'seq', NEW.seq)::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_notify();
