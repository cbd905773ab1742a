-- Audit events reach the hash chain at COMMIT. The application inserts them into audit_outbox; this
-- deferred constraint trigger moves each into audit_events while the commit runs, where the chain
-- trigger takes the tenant's lock and assigns seq and hash. The lock is thus held from here to the end
-- of the commit, not across the round trip between the application's INSERT and its COMMIT, which
-- serialised every audited request of a tenant behind the slowest client (about 20 requests/s).
-- Same atomicity as before: the events commit with the request's work or not at all.
CREATE OR REPLACE FUNCTION audit_outbox_flush() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_events (tenant_id, occurred_at, actor_id, session_id, action, resource_type, resource_ids, field, outcome, detail, request_id)
  VALUES (NEW.tenant_id, NEW.occurred_at, NEW.actor_id, NEW.session_id, NEW.action, NEW.resource_type, NEW.resource_ids, NEW.field, NEW.outcome, NEW.detail, NEW.request_id);
  DELETE FROM audit_outbox WHERE id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_outbox_flush AFTER INSERT ON audit_outbox
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_outbox_flush();
--> statement-breakpoint
-- The application may only add events; it can neither read nor remove one waiting for the commit.
GRANT INSERT ON audit_outbox TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['audit_outbox']);
