-- Row-level security and grants for time-bound grants and access requests (as in 0001_security.sql).
GRANT SELECT, INSERT, UPDATE ON access_grants, access_requests TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['access_grants','access_requests']);
--> statement-breakpoint
-- History is evidence: grants and role assignments are revoked, never deleted, by the application.
REVOKE DELETE ON role_assignments FROM warden_app;
