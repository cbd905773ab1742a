-- The database itself enforces the audit retention floor, so the application role (or anything running
-- as it) cannot erase the audit trail: the retention period is held to 30..3650 days, and the retention
-- cut refuses events younger than the floor, events no signed checkpoint vouches for, and a chain that no
-- longer verifies; every cut is an audit event in the chain, named by its archive. Runs on PostgreSQL 15
-- and PGlite. Refusals raise SQLSTATE WA001 ("audit retention cut refused: ...").

-- Existing settings outside the range are brought into it first. The owner runs migrations, and FORCE'd
-- row security would hide every tenant's row from it, so it is lifted for this statement only.
ALTER TABLE "security_policies" NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
UPDATE "security_policies" SET "audit_retention_days" = least(greatest("audit_retention_days", 30), 3650)
  WHERE "audit_retention_days" NOT BETWEEN 30 AND 3650;
--> statement-breakpoint
ALTER TABLE "security_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "security_policies" ADD CONSTRAINT "security_policies_audit_retention_days_range" CHECK ("security_policies"."audit_retention_days" between 30 and 3650);
--> statement-breakpoint

-- The floor the cut applies whatever the policy says (the CHECK above holds the policy to it as well).
CREATE OR REPLACE FUNCTION audit_retention_floor_days() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 30 $$;
--> statement-breakpoint

-- Each cut names its own audit event (audit.retention_cut), so the verifier can tell a cut from rows
-- removed behind the database's back.
ALTER TABLE "audit_archives" ADD COLUMN "cut_seq" bigint;
--> statement-breakpoint
-- Cuts made before this migration were audited by the application as audit.archive, naming the archive:
-- that event stands for the cut. (One a later cut has already archived stays unknown: cut_seq null.)
ALTER TABLE "audit_archives" NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_events" NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_archives" DISABLE TRIGGER "audit_archives_no_update";
--> statement-breakpoint
UPDATE "audit_archives" a SET "cut_seq" = (
  SELECT min(e.seq) FROM "audit_events" e
  WHERE e.tenant_id = a.tenant_id AND e.seq > a.last_seq AND e.action = 'audit.archive' AND e.resource_ids @> ARRAY[a.id]);
--> statement-breakpoint
ALTER TABLE "audit_archives" ENABLE TRIGGER "audit_archives_no_update";
--> statement-breakpoint
ALTER TABLE "audit_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_archives" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- NOT VALID: an existing row that breaks it is the verifier's to report, not a reason to refuse to boot.
ALTER TABLE "audit_archives" ADD CONSTRAINT "audit_archives_bounds" CHECK ("audit_archives"."first_seq" >= 1 and "audit_archives"."last_seq" >= "audit_archives"."first_seq" and "audit_archives"."event_count" = "audit_archives"."last_seq" - "audit_archives"."first_seq" + 1 and ("audit_archives"."cut_seq" is null or "audit_archives"."cut_seq" > "audit_archives"."last_seq")) NOT VALID;
--> statement-breakpoint

-- Append-only, as before, with one exception: an audit event may be deleted only while
-- audit_retention_cut() runs (transaction-local flag) and only inside a cut it has recorded, with its
-- audit event. The application role has no DELETE grant at all; this holds for the owner as well.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND current_setting('warden.audit_cut', true) = 'on'
     AND EXISTS (SELECT 1 FROM audit_archives a WHERE a.tenant_id = OLD.tenant_id AND a.last_seq >= OLD.seq
                 AND a.first_seq <= OLD.seq AND a.cut_seq IS NOT NULL) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint

-- The retention cut, for the current tenant: events after the last cut up to p_through_seq are recorded
-- as archived and removed. The caller has written them to the archive file first. It refuses (WA001):
--   * the chain head, or nothing after the last cut;
--   * an event younger than max(policy, floor) days, computed here (now() is the transaction's start);
--   * events no checkpoint at or after p_through_seq vouches for (its hash must be the chain's: the
--     database cannot check an Ed25519 signature, the verifier does);
--   * a chain that does not verify from the last cut's anchor to that checkpoint (positions missing, a
--     hash or link that does not recompute, or a checkpoint in the range that no longer matches), so a
--     cut never launders tampering.
-- The cut's own audit event is appended to the chain first (action audit.retention_cut, naming the
-- archive, with its bounds), and the archive names it (cut_seq).
-- SECURITY DEFINER so that the application role, which may not delete audit events, can run exactly this.
CREATE OR REPLACE FUNCTION audit_retention_cut(p_through_seq bigint, p_file_name text, p_file_sha256 text, p_created_by uuid)
RETURNS SETOF audit_archives
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := warden_current_tenant();
  floor_days int := audit_retention_floor_days();
  days int;
  cutoff timestamptz;
  head bigint;
  prev_last bigint;
  prev_anchor bytea;
  lo bigint;
  n bigint;
  newest timestamptz;
  anchor bytea;
  cp bigint;
  bad bigint;
  archive_id uuid := gen_random_uuid();
  event_seq bigint;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'audit retention cut refused: no tenant (app.tenant_id)' USING ERRCODE = 'WA001';
  END IF;
  IF p_file_name IS NULL OR p_file_name !~ '^[A-Za-z0-9._-]{1,200}$' OR p_file_sha256 IS NULL OR p_file_sha256 !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'audit retention cut refused: it needs the archive file name and its SHA-256 (64 hex digits)' USING ERRCODE = 'WA001';
  END IF;
  days := greatest(coalesce((SELECT audit_retention_days FROM security_policies WHERE tenant_id = t), 365), floor_days);
  cutoff := now() - make_interval(days => days);
  SELECT max(seq) INTO head FROM audit_events WHERE tenant_id = t;
  IF head IS NULL OR p_through_seq IS NULL OR p_through_seq >= head THEN
    RAISE EXCEPTION 'audit retention cut refused: the chain head is never archived (through % of %)', p_through_seq, head USING ERRCODE = 'WA001';
  END IF;
  SELECT last_seq, anchor_hash INTO prev_last, prev_anchor FROM audit_archives WHERE tenant_id = t ORDER BY last_seq DESC LIMIT 1;
  prev_last := coalesce(prev_last, 0);
  IF p_through_seq <= prev_last THEN
    RAISE EXCEPTION 'audit retention cut refused: events up to seq % are already archived', prev_last USING ERRCODE = 'WA001';
  END IF;
  SELECT min(seq), count(*), max(occurred_at) INTO lo, n, newest FROM audit_events WHERE tenant_id = t AND seq <= p_through_seq;
  IF lo IS DISTINCT FROM prev_last + 1 OR n <> p_through_seq - prev_last THEN
    RAISE EXCEPTION 'audit retention cut refused: events % to % are not all in the chain (% present from %): a broken chain is not cut', prev_last + 1, p_through_seq, n, lo
      USING ERRCODE = 'WA001';
  END IF;
  IF newest >= cutoff THEN
    RAISE EXCEPTION 'audit retention cut refused: events up to seq % are not all older than the retention period (% days; the floor is % days)', p_through_seq, days, floor_days
      USING ERRCODE = 'WA001';
  END IF;
  SELECT min(c.seq) INTO cp FROM audit_checkpoints c JOIN audit_events e ON e.tenant_id = c.tenant_id AND e.seq = c.seq
    WHERE c.tenant_id = t AND c.seq >= p_through_seq AND c.hash = e.hash;
  IF cp IS NULL THEN
    RAISE EXCEPTION 'audit retention cut refused: events up to seq % are not covered by a signed checkpoint', p_through_seq USING ERRCODE = 'WA001';
  END IF;
  SELECT min(c.seq) INTO bad FROM audit_checkpoints c LEFT JOIN audit_events e ON e.tenant_id = c.tenant_id AND e.seq = c.seq
    WHERE c.tenant_id = t AND c.seq > prev_last AND c.seq <= cp AND e.hash IS DISTINCT FROM c.hash;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'audit retention cut refused: checkpoint % does not match the chain: a broken chain is not cut', bad USING ERRCODE = 'WA001';
  END IF;
  SELECT min(seq) INTO bad FROM (
    SELECT seq, prev_hash, lag(hash) OVER (ORDER BY seq) AS before,
      hash IS NOT NULL AND hash = sha256(coalesce(prev_hash, ''::bytea) || convert_to(audit_canonical(e), 'UTF8')) AS hash_ok
    FROM audit_events e WHERE tenant_id = t AND seq > prev_last AND seq <= cp) x
  WHERE NOT hash_ok OR prev_hash IS DISTINCT FROM (CASE WHEN seq = prev_last + 1 THEN prev_anchor ELSE before END);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'audit retention cut refused: event % does not verify against the chain: a broken chain is not cut', bad USING ERRCODE = 'WA001';
  END IF;
  SELECT hash INTO anchor FROM audit_events WHERE tenant_id = t AND seq = p_through_seq;
  -- Only now the chain writer's lock (no event is appended while the cut finishes), so that the checks
  -- above, which read rows nobody can change, do not hold up the tenant's writers. Only another cut
  -- could have moved what they relied on.
  PERFORM pg_advisory_xact_lock(hashtextextended('warden.audit:' || t::text, 0));
  IF (SELECT coalesce(max(last_seq), 0) FROM audit_archives WHERE tenant_id = t) <> prev_last THEN
    RAISE EXCEPTION 'audit retention cut refused: another cut ran at the same time' USING ERRCODE = 'WA001';
  END IF;

  INSERT INTO audit_events (tenant_id, actor_id, action, outcome, resource_type, resource_ids, detail)
    VALUES (t, p_created_by, 'audit.retention_cut', 'ALLOWED', 'AuditArchive', ARRAY[archive_id],
      jsonb_build_object('firstSeq', lo, 'lastSeq', p_through_seq, 'count', n, 'anchorHash', encode(anchor, 'hex'),
        'fileName', p_file_name, 'fileSha256', p_file_sha256, 'cutoff', to_char(cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'retentionDays', days,
        'floorDays', floor_days, 'checkpointSeq', cp))
    RETURNING seq INTO event_seq;
  RETURN QUERY INSERT INTO audit_archives (tenant_id, id, first_seq, last_seq, event_count, anchor_hash, file_name, file_sha256, cutoff, created_by, cut_seq)
    VALUES (t, archive_id, lo, p_through_seq, n, anchor, p_file_name, p_file_sha256, cutoff, p_created_by, event_seq) RETURNING *;
  PERFORM set_config('warden.audit_cut', 'on', true);
  DELETE FROM audit_events WHERE tenant_id = t AND seq > prev_last AND seq <= p_through_seq;
  PERFORM set_config('warden.audit_cut', 'off', true);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_retention_cut(bigint, text, text, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION audit_retention_cut(bigint, text, text, uuid) TO warden_app;
