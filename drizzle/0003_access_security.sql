-- Row-level security and grants for time-bound grants and access requests (as in 0001_security.sql).
GRANT SELECT, INSERT, UPDATE ON access_grants, access_requests TO warden_app;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['access_grants','access_requests'] LOOP
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
-- History is evidence: grants and role assignments are revoked, never deleted, by the application.
REVOKE DELETE ON role_assignments FROM warden_app;
