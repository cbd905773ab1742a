-- Row-level security, grants and integrity rules for audit checkpoints and archives, detection, alerts,
-- lockdowns, break-glass and access reviews (as in 0001_security.sql). Runs on PostgreSQL 15 and PGlite.
GRANT SELECT, INSERT ON audit_checkpoints TO warden_app;
--> statement-breakpoint
-- Archives are written only by audit_retention_cut() below; the application reads them.
GRANT SELECT ON audit_archives TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON security_policies, detection_state, security_alerts, tenant_lockdowns, break_glass_accesses, access_reviews, access_review_items TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON detection_rules TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['audit_checkpoints','audit_archives','security_policies','detection_rules','detection_state','security_alerts', 'tenant_lockdowns','break_glass_accesses','access_reviews','access_review_items']);
--> statement-breakpoint

-- Append-only, as before, with one exception: audit_retention_cut() removes archived events after it
-- recorded their archive. The flag is transaction-local; the application role has no DELETE grant at
-- all, so for it the grant refuses first; for the owner this trigger refuses unless the cut is running.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND current_setting('warden.audit_cut', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_archives_no_update BEFORE UPDATE OR DELETE ON audit_archives FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_archives_no_truncate BEFORE TRUNCATE ON audit_archives FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint

-- The retention cut, for the current tenant: events 1..through_seq (all older than the tenant's retention
-- period, never the chain head) are recorded as archived, with the hash of the last one as the anchor the
-- next event names as prev_hash, then removed. The caller has written them to the archive file first.
-- SECURITY DEFINER so that the application role, which may not delete audit events, can run exactly this.
CREATE OR REPLACE FUNCTION audit_retention_cut(p_through_seq bigint, p_file_name text, p_file_sha256 text, p_created_by uuid)
RETURNS SETOF audit_archives
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := warden_current_tenant();
  cutoff timestamptz;
  head bigint;
  lo bigint;
  n bigint;
  newest timestamptz;
  anchor bytea;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'audit_retention_cut needs a tenant (app.tenant_id)';
  END IF;
  cutoff := now() - make_interval(days => coalesce((SELECT audit_retention_days FROM security_policies WHERE tenant_id = t), 365));
  -- The chain writer's lock: no event is appended while the cut runs.
  PERFORM pg_advisory_xact_lock(hashtextextended('warden.audit:' || t::text, 0));
  SELECT max(seq) INTO head FROM audit_events WHERE tenant_id = t;
  IF head IS NULL OR p_through_seq >= head THEN
    RAISE EXCEPTION 'the chain head is never archived (through % of %)', p_through_seq, head USING ERRCODE = 'check_violation';
  END IF;
  SELECT min(seq), count(*), max(occurred_at) INTO lo, n, newest FROM audit_events WHERE tenant_id = t AND seq <= p_through_seq;
  IF n = 0 THEN
    RAISE EXCEPTION 'no events up to seq %', p_through_seq USING ERRCODE = 'check_violation';
  END IF;
  IF newest >= cutoff THEN
    RAISE EXCEPTION 'events up to seq % are not all older than the retention period', p_through_seq USING ERRCODE = 'check_violation';
  END IF;
  SELECT hash INTO anchor FROM audit_events WHERE tenant_id = t AND seq = p_through_seq;
  IF anchor IS NULL THEN
    RAISE EXCEPTION 'event % is missing', p_through_seq USING ERRCODE = 'check_violation';
  END IF;
  RETURN QUERY INSERT INTO audit_archives (tenant_id, first_seq, last_seq, event_count, anchor_hash, file_name, file_sha256, cutoff, created_by)
    VALUES (t, lo, p_through_seq, n, anchor, p_file_name, p_file_sha256, cutoff, p_created_by) RETURNING *;
  PERFORM set_config('warden.audit_cut', 'on', true);
  DELETE FROM audit_events WHERE tenant_id = t AND seq <= p_through_seq;
  PERFORM set_config('warden.audit_cut', 'off', true);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_retention_cut(bigint, text, text, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION audit_retention_cut(bigint, text, text, uuid) TO warden_app;
--> statement-breakpoint

-- Existing tenants' built-in roles receive the new permissions (new tenants get them from BUILT_IN_ROLES).
UPDATE roles SET permissions = permissions || ARRAY['AUDIT_MANAGE','ALERT_MANAGE','REVIEW_MANAGE','LOCKDOWN']
  WHERE built_in AND key = 'admin' AND NOT permissions @> ARRAY['LOCKDOWN'];
--> statement-breakpoint
UPDATE roles SET permissions = permissions || ARRAY['ALERT_MANAGE'] WHERE built_in AND key = 'security_analyst' AND NOT permissions @> ARRAY['ALERT_MANAGE'];
--> statement-breakpoint
UPDATE roles SET permissions = permissions || ARRAY['BREAK_GLASS'] WHERE built_in AND key = 'support_lead' AND NOT permissions @> ARRAY['BREAK_GLASS'];
