CREATE TABLE "trusted_documents" (
	"hash" text PRIMARY KEY NOT NULL,
	"document" text NOT NULL,
	"client" text,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trusted_documents_hash_check" CHECK ("trusted_documents"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
-- Shared by every tenant (no tenant_id, no row-level security). The application role only reads: a
-- document is registered by the operator, never by a request, so no request can widen what is trusted.
GRANT SELECT ON trusted_documents TO warden_app;
