-- Row-level security and grants for the CRM tables and the tenant data keys (same pattern as
-- 0001_security.sql: tenant_id = the transaction's app.tenant_id, FORCE'd so even the owner is bound).
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_contacts TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON tickets TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON ticket_articles TO warden_app;
--> statement-breakpoint
-- Feedback is a record of what a customer said: written once, never edited by the application.
GRANT SELECT, INSERT ON customer_feedback TO warden_app;
--> statement-breakpoint
-- Data keys: created, re-wrapped and retired, never deleted or renumbered by the application. The
-- UPDATE grant on these columns also allows the SELECT ... FOR SHARE that writers take on the active key.
GRANT SELECT, INSERT ON tenant_keys TO warden_app;
--> statement-breakpoint
GRANT UPDATE (wrapped_key, master_key_id, retired_at) ON tenant_keys TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['customer_contacts','tickets','ticket_articles','customer_feedback','tenant_keys']);
