import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { writeCheckpoints } from '../../src/audit/checkpoints';
import { runRetention } from '../../src/audit/retention';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { createTestServer, type TestServer } from '../testkit/server';
import { dbFailure, seedOtherTenant } from '../testkit/seed';

const ROOT = path.resolve(__dirname, '../..');
const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;
const SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const VERIFY = `{ verifyAuditLog { ok events firstSeq lastSeq checkpointsVerified latestCheckpointSeq archives firstBreak { kind seq message } breaks { kind seq } } }`;
type Verification = { verifyAuditLog: { ok: boolean; events: number; firstSeq: number; lastSeq: number; checkpointsVerified: number; latestCheckpointSeq: number | null; archives: number; firstBreak: { kind: string; seq: number; message: string } | null; breaks: { kind: string; seq: number }[] } };

/** `npm run audit:verify` as an operator runs it, against the test database. */
function runVerify(databaseUrl: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'audit:verify', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, WARDEN_AUDIT_SIGNING_KEY: SIGNING_KEY, NODE_ENV: 'development', WARDEN_DATA_DIR: 'memory://', LOG_LEVEL: 'silent' },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('tamper-evident audit log: verifier, signed checkpoints, retention cuts', () => {
  let server: TestServer;
  let archiveDir: string;
  beforeAll(async () => {
    archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-archive-'));
    server = await createTestServer({ env: { WARDEN_AUDIT_SIGNING_KEY: SIGNING_KEY, WARDEN_AUDIT_ARCHIVE_DIR: archiveDir } });
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(archiveDir, { recursive: true, force: true });
  });

  /** A tenant of its own (destructive tests do not share), with an analyst and `n` chained events. */
  async function tenantWithEvents(slug: string, n: number, ageDays = 0) {
    const t = await seedOtherTenant(server.database.db, slug, ['admin']);
    await addEvents(t.tenantId, n, ageDays);
    return { ...t, client: await server.client().login(t.email, DEMO_PASSWORD, slug) };
  }
  const addEvents = (tenantId: string, n: number, ageDays: number) =>
    server.database.db.execute(sql`insert into audit_events (tenant_id, action, outcome, occurred_at, detail)
      select ${tenantId}::uuid, 'test.event', 'ALLOWED', now() - make_interval(days => ${ageDays}::int) + g * interval '1 second', jsonb_build_object('n', g)
      from generate_series(1, ${n}::int) g`);

  /** As the database superuser, past the append-only trigger: the attack the chain must reveal. */
  const asSuperuser = (statements: ReturnType<typeof sql>[], via: 'disable-trigger' | 'replica' = 'disable-trigger') =>
    server.database.db.transaction(async (tx) => {
      if (via === 'replica') await tx.execute(sql`set local session_replication_role = replica`);
      else await tx.execute(sql`alter table audit_events disable trigger user`);
      for (const s of statements) await tx.execute(s);
      if (via === 'disable-trigger') await tx.execute(sql`alter table audit_events enable trigger user`);
    });

  it('verifies an intact chain and its signed checkpoints', async () => {
    const t = await tenantWithEvents('intact', 5);
    expect(await writeCheckpoints(server.database.db, server.services.auditSigner)).toBeGreaterThanOrEqual(1);
    const r = (await t.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r).toMatchObject({ ok: true, firstSeq: 1, archives: 0, firstBreak: null, breaks: [] });
    expect(r.events).toBe(r.lastSeq);
    expect(r.checkpointsVerified).toBe(1);
    expect(r.latestCheckpointSeq).toBeGreaterThanOrEqual(6);
    // No new events since: the next round signs nothing new for this tenant.
    const [{ n }] = await withTenantTx(server.database.db, t.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_checkpoints`));
    expect(n).toBe(1);
  });

  it.each(['disable-trigger', 'replica'] as const)('names the row a superuser changed (%s)', async (via) => {
    const t = await tenantWithEvents(`changed-${via}`, 8);
    await asSuperuser([sql`update audit_events set detail = '{"n": 99}' where tenant_id = ${t.tenantId} and seq = 5`], via);
    const r = (await t.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r.ok).toBe(false);
    expect(r.firstBreak).toMatchObject({ kind: 'HASH', seq: 5 });
    expect(r.firstBreak!.message).toContain('event 5 was changed');
  });

  it('names removed rows, and a rewritten link', async () => {
    const gap = await tenantWithEvents('gap', 8);
    await asSuperuser([sql`delete from audit_events where tenant_id = ${gap.tenantId} and seq = 4`]);
    expect((await gap.client.ok<Verification>(VERIFY)).verifyAuditLog.firstBreak).toMatchObject({ kind: 'GAP', seq: 5 });

    const link = await tenantWithEvents('link', 8);
    // Changed content with its own hash recomputed: the next event's link gives it away.
    await asSuperuser([sql`update audit_events e set detail = '{"n": 0}', hash = sha256(coalesce(e.prev_hash, ''::bytea) || convert_to(audit_canonical((e.tenant_id, e.seq, e.occurred_at, e.actor_id, e.session_id, e.action, e.resource_type, e.resource_ids, e.field, e.outcome, '{"n": 0}'::jsonb, e.request_id, e.prev_hash, e.hash)::audit_events), 'UTF8'))
      where tenant_id = ${link.tenantId} and seq = 3`]);
    const r = (await link.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r.firstBreak).toMatchObject({ kind: 'LINK', seq: 4 });
    expect(r.firstBreak!.message).toContain('event 3 was rewritten');
  });

  it('catches a rewrite with every hash recomputed, and a removed tail, through the signed checkpoint', async () => {
    const t = await tenantWithEvents('rewrite', 8);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const rewrite = sql.raw(`do $$ declare r audit_events; prev bytea; begin
      select hash into prev from audit_events where tenant_id = '${t.tenantId}' and seq = 2;
      for r in select * from audit_events where tenant_id = '${t.tenantId}' and seq >= 3 order by seq loop
        if r.seq = 3 then r.detail := '{"forged": true}'; end if;
        r.prev_hash := prev;
        r.hash := sha256(coalesce(prev, ''::bytea) || convert_to(audit_canonical(r), 'UTF8'));
        update audit_events set detail = r.detail, prev_hash = r.prev_hash, hash = r.hash where tenant_id = r.tenant_id and seq = r.seq;
        prev := r.hash;
      end loop; end $$`);
    await asSuperuser([rewrite]);
    const r = (await t.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r.ok).toBe(false);
    expect(r.breaks.map((b) => b.kind)).toEqual(['CHECKPOINT']);
    expect(r.firstBreak!.message).toMatch(/events after 0 up to \d+ were rewritten/);

    const tail = await tenantWithEvents('tail', 6);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    await asSuperuser([sql`delete from audit_events where tenant_id = ${tail.tenantId} and seq > 4`]);
    const cut = (await tail.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(cut.firstBreak).toMatchObject({ kind: 'CHECKPOINT' });
    expect(cut.firstBreak!.message).toContain('beyond the chain head 4');
  });

  it('refuses a checkpoint signed by a key it does not trust', async () => {
    const t = await tenantWithEvents('forged-checkpoint', 3);
    const forged = generateKeyPairSync('ed25519').privateKey;
    const { checkpointMessage } = await import('../../src/audit/audit-key');
    const { sign } = await import('node:crypto');
    const [head] = await withTenantTx(server.database.db, t.tenantId, (tx) => queryRows<{ seq: number; hash: Uint8Array }>(tx, sql`select seq, hash from audit_events order by seq desc limit 1`));
    const hash = Buffer.from(head.hash);
    await withTenantTx(server.database.db, t.tenantId, (tx) =>
      tx.execute(sql`insert into audit_checkpoints (tenant_id, seq, hash, signature, key_id) values (${t.tenantId}, ${head.seq}, ${hash}, ${sign(null, checkpointMessage(t.tenantId, Number(head.seq), hash), forged)}, 'attacker')`),
    );
    expect((await t.client.ok<Verification>(VERIFY)).verifyAuditLog.firstBreak).toMatchObject({ kind: 'SIGNATURE', seq: Number(head.seq) });
  });

  it('archives events past the retention period to NDJSON and keeps the chain verifiable across the cut', async () => {
    const t = await tenantWithEvents('retention', 40, 400);
    await addEvents(t.tenantId, 5, 0);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const archived = await t.client.ok<{ archiveAuditLog: { firstSeq: number; lastSeq: number; eventCount: number; fileName: string; fileSha256: string; anchorHash: string } }>(
      'mutation { archiveAuditLog { firstSeq lastSeq eventCount fileName fileSha256 anchorHash } }',
    );
    // The 40 old events, and the sign-in that happened 400 days "later" than the first of them is recent.
    expect(archived.archiveAuditLog).toMatchObject({ firstSeq: 1, lastSeq: 40, eventCount: 40 });
    expect((await t.client.ok<{ archiveAuditLog: null }>('mutation { archiveAuditLog { id } }')).archiveAuditLog).toBeNull();

    const r = (await t.client.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r).toMatchObject({ ok: true, firstSeq: 41, archives: 1 });
    const first = await t.client.ok<{ auditEvents: { edges: { node: { seq: number; prevHash: string } }[] } }>(
      '{ auditEvents(first: 100) { edges { node { seq prevHash } } } }',
    );
    expect(first.auditEvents.edges.at(-1)!.node).toEqual({ seq: 41, prevHash: archived.archiveAuditLog.anchorHash });
    const exported = await t.client.ok<{ auditEvents: { edges: { node: { detail: string } }[] } }>('{ auditEvents(filter: { action: "audit.archive" }) { edges { node { detail } } } }');
    // Both calls are audited as exports: the one that archived, and the one that found nothing due.
    expect(exported.auditEvents.edges.map((e) => JSON.parse(e.node.detail) as unknown)).toEqual([{ count: 0 }, expect.objectContaining({ firstSeq: 1, lastSeq: 40, count: 40 })]);

    const file = path.join(archiveDir, t.tenantId, archived.archiveAuditLog.fileName);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; event: { action: string } });
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(lines.at(-1)!.hash).toBe(archived.archiveAuditLog.anchorHash);
    expect(lines[0].event.action).toBe('test.event');
  });

  it('lets the application role remove audit events only through the retention cut, and the cut only when due', async () => {
    const t = await tenantWithEvents('cut-rules', 3);
    const inTenant = (s: ReturnType<typeof sql>) => withTenantTx(server.database.db, t.tenantId, (tx) => tx.execute(s));
    expect(await dbFailure(inTenant(sql`delete from audit_events where seq = 1`))).toMatch(/permission denied/);
    expect(await dbFailure(inTenant(sql`select audit_retention_cut(1, 'x', 'y', null)`))).toMatch(/needs the archive file name and its SHA-256/);
    expect(await dbFailure(inTenant(sql`select audit_retention_cut(1, 'x.ndjson', repeat('0', 64), null)`))).toMatch(/not all older than the retention period/);
    expect(await dbFailure(inTenant(sql`select audit_retention_cut(1000, 'x.ndjson', repeat('0', 64), null)`))).toMatch(/chain head is never archived/);
    expect(await dbFailure(inTenant(sql`update audit_checkpoints set seq = 0`))).toMatch(/permission denied/);
    expect(await dbFailure(server.database.db.execute(sql`delete from audit_checkpoints`))).toMatch(/append-only/);
    expect(await dbFailure(server.database.db.execute(sql`delete from audit_events`))).toMatch(/append-only/);
  });

  it('refuses retention settings out of range and the archive to non-holders', async () => {
    const admin = await server.as('admin');
    expect((await admin.request('mutation { setAuditRetention(days: 7) { retentionDays } }')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await admin.ok<{ setAuditRetention: { retentionDays: number } }>('mutation { setAuditRetention(days: 400) { retentionDays } }')).setAuditRetention.retentionDays).toBe(400);
    const analyst = await server.as('analyst');
    expect((await analyst.request('mutation { archiveAuditLog { id } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await analyst.ok<{ auditRetention: { retentionDays: number } }>('{ auditRetention { retentionDays } }')).auditRetention.retentionDays).toBe(400);
  });

  it('runs the retention job for every tenant without a caller', async () => {
    const t = await tenantWithEvents('job', 4, 500);
    await addEvents(t.tenantId, 1, 0);
    const done = await runRetention(server.database.db, archiveDir, server.services.auditSigner);
    expect(done.filter((a) => a.tenantId === t.tenantId).map((a) => [a.firstSeq, a.lastSeq])).toEqual([[1, 4]]);
    expect((await t.client.ok<Verification>(VERIFY)).verifyAuditLog.ok).toBe(true);
  });

  pgOnly('npm run audit:verify passes on the live database, then names the row a superuser changed, and re-checks archives', async () => {
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 2) { edges { node { phone } } } }');
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const ok = await runVerify(server.databaseUrl!, ['--tenant', 'acme']);
    expect(ok.stdout).toMatch(/tenant acme \(.*\): \d+ events \(1-\d+\), 1 signed checkpoints verified .*chain intact/);
    expect(ok.code).toBe(0);

    await asSuperuser([sql`update audit_events set outcome = 'DENIED' where tenant_id = ${server.tenantId} and seq = 2`]);
    const broken = await runVerify(server.databaseUrl!, ['--tenant', 'acme']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at tenant ${server.tenantId} seq 2 (HASH): event 2 was changed`);

    const t = await tenantWithEvents('cli-archive', 5, 400);
    await addEvents(t.tenantId, 1, 0);
    const { archiveAuditLog } = await t.client.ok<{ archiveAuditLog: { fileName: string } }>('mutation { archiveAuditLog { fileName } }');
    const file = path.join(archiveDir, t.tenantId, archiveAuditLog.fileName);
    const good = await runVerify(server.databaseUrl!, ['--tenant', 'cli-archive', '--archive', file]);
    expect(good.stdout).toContain(`archive ${file}: intact, events 1-5`);
    expect(good.code).toBe(0);
    // Change the hashed text of event 2 (its canonical form is a JSON string inside the line).
    const text = fs.readFileSync(file, 'utf8').replace('\\"n\\": 2}', '\\"n\\": 3}');
    expect(text).not.toBe(fs.readFileSync(file, 'utf8'));
    const forged = path.join(archiveDir, 'forged.ndjson');
    fs.writeFileSync(forged, text);
    const bad = await runVerify(server.databaseUrl!, ['--tenant', 'cli-archive', '--archive', forged]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('BROKEN: event 2 was changed');
  });
});
