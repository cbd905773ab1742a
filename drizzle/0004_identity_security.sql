-- Identity lifecycle security layer: RLS and grants for the new tenant tables, the throttle counters,
-- and the session-revocation notification every instance listens to. Runs on PostgreSQL 15 and PGlite.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_auth_settings, identity_providers, sso_states, user_totp, recovery_codes, used_refresh_tokens TO warden_app;
--> statement-breakpoint
-- Throttle counters are keyed by hashes and belong to no tenant (an unknown tenant slug is throttled too).
GRANT SELECT, INSERT, UPDATE, DELETE ON auth_throttle TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['tenant_auth_settings','identity_providers','sso_states','user_totp','recovery_codes','used_refresh_tokens']);
--> statement-breakpoint

-- One failed attempt against a throttle key. Failures count inside a sliding window; from `threshold`
-- failures on, the key is locked for base * 2^(failures - threshold) seconds, at most max_lock.
-- Returns the lock's end, or NULL when the key is not locked.
CREATE OR REPLACE FUNCTION warden_throttle_fail(p_key text, p_threshold int, p_window_s int, p_base_s int, p_max_s int)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE r auth_throttle%ROWTYPE;
BEGIN
  INSERT INTO auth_throttle AS t (key, failures, window_start)
  VALUES (p_key, 1, now())
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.window_start < now() - make_interval(secs => p_window_s) THEN 1 ELSE t.failures + 1 END,
    window_start = CASE WHEN t.window_start < now() - make_interval(secs => p_window_s) THEN now() ELSE t.window_start END
  RETURNING * INTO r;
  IF r.failures >= p_threshold THEN
    UPDATE auth_throttle
      SET locked_until = now() + make_interval(secs => least(p_max_s::float8, p_base_s * power(2::float8, least(r.failures - p_threshold, 30))))
      WHERE key = p_key
      RETURNING * INTO r;
  END IF;
  RETURN CASE WHEN r.locked_until > now() THEN r.locked_until END;
END
$$;
--> statement-breakpoint

-- Revocations on one instance are felt on all: a revoked session, or a user who is no longer active,
-- is announced at commit; every instance LISTENs and closes that session's open WebSocket operations.
CREATE OR REPLACE FUNCTION session_revocation_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'sessions' THEN
    PERFORM pg_notify('warden_session', json_build_object('tenantId', NEW.tenant_id, 'sessionId', NEW.id)::text);
  ELSE
    PERFORM pg_notify('warden_session', json_build_object('tenantId', NEW.tenant_id, 'userId', NEW.id)::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sessions_revocation_notify AFTER UPDATE OF revoked_at ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION session_revocation_notify();
--> statement-breakpoint
CREATE TRIGGER users_status_notify AFTER UPDATE OF status ON users FOR EACH ROW
  WHEN (NEW.status <> 'ACTIVE' AND OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION session_revocation_notify();
