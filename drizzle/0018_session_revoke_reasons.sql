-- Why a session was revoked becomes one of a closed set of codes (told to the session's holder when its
-- token is refused), and a revocation by a security alert's response keeps the alert as its reference.
ALTER TABLE "sessions" ADD COLUMN "revoked_reference" uuid;
--> statement-breakpoint

-- Existing free-text reasons are mapped to the codes first. The owner runs migrations, and FORCE'd row
-- security would hide every tenant's row from it, so it is lifted for these statements only.
ALTER TABLE "sessions" NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
UPDATE "sessions" SET "revoked_reference" = substring("revoked_reason" from 16)::uuid
  WHERE "revoked_reason" ~* '^security alert [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
--> statement-breakpoint
UPDATE "sessions" SET "revoked_reason" = CASE
    WHEN "revoked_at" IS NULL THEN NULL
    WHEN "revoked_reason" IN ('logout', 'revoked by user') THEN 'LOGGED_OUT'
    WHEN "revoked_reason" = 'password changed' THEN 'PASSWORD_CHANGED'
    WHEN "revoked_reason" IN ('offboarded', 'SCIM delete') THEN 'OFFBOARDED'
    WHEN "revoked_reason" = 'refresh token reuse' THEN 'TOKEN_REUSE'
    WHEN "revoked_reason" LIKE 'security alert %' THEN 'SECURITY_RESPONSE'
    -- 'revoked by administrator', 'suspended', 'mfa reset', 'lockdown <id>' and anything unknown
    ELSE 'REVOKED_BY_ADMIN'
  END
  WHERE "revoked_reason" IS DISTINCT FROM NULL OR "revoked_at" IS NOT NULL;
--> statement-breakpoint
ALTER TABLE "sessions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_revoked_reason_check" CHECK ("sessions"."revoked_reason" in ('LOGGED_OUT', 'PASSWORD_CHANGED', 'REVOKED_BY_ADMIN', 'OFFBOARDED', 'SECURITY_RESPONSE', 'TOKEN_REUSE'));
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_revoked_with_reason" CHECK (("sessions"."revoked_at" is null) = ("sessions"."revoked_reason" is null));
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_reference_of_response" CHECK ("sessions"."revoked_reference" is null or "sessions"."revoked_reason" is not distinct from 'SECURITY_RESPONSE');
