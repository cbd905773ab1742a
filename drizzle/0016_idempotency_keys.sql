CREATE TABLE "idempotency_keys" (
	"tenant_id" uuid NOT NULL,
	"principal_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" "bytea" NOT NULL,
	"http_status" integer NOT NULL,
	"response" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_principal_id_key_pk" PRIMARY KEY("tenant_id","principal_id","key")
);
--> statement-breakpoint
CREATE INDEX "idempotency_keys_expiry_idx" ON "idempotency_keys" USING btree ("tenant_id","expires_at");--> statement-breakpoint
-- Row-level security and grants (as in 0001_security.sql). No UPDATE: a kept result is never changed,
-- only removed once expired (on lookup, or by the periodic sweep).
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['idempotency_keys']);
