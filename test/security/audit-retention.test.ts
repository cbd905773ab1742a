import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { checkpointMessage, type AuditSigner } from '../../src/audit/audit-key';
import { checkpointHead, writeCheckpoints } from '../../src/audit/checkpoints';
import { verifyChain } from '../../src/audit/chain-verifier';
import { runRetention } from '../../src/audit/retention';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate, MIGRATIONS_FOLDER } from '../../src/db/migrate';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { withDatabaseName } from '../../src/db/url';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const VERIFY = '{ verifyAuditLog { ok events firstSeq lastSeq archives breaks { kind seq message } } }';
type Verification = { verifyAuditLog: { ok: boolean; events: number; firstSeq: number; lastSeq: number; archives: number; breaks: { kind: string; seq: number; message: string }[] } };
const SHA = 'a'.repeat(64);

/** SQLSTATE and message of a statement the database refuses (drizzle wraps the driver's error as its cause). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = ((err as { cause?: unknown }).cause ?? err) as { code?: string; message: string };
    return { code: String(e.code), message: e.message };
  }
  throw new Error('expected the statement to fail');
}

describe('the application role cannot erase the audit trail (retention floor, cut rules, verified cuts)', () => {
  let server: TestServer;
  let archiveDir: string;
  beforeAll(async () => {
    archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-retention-'));
    server = await createTestServer({ env: { WARDEN_AUDIT_SIGNING_KEY: SIGNING_KEY, WARDEN_AUDIT_ARCHIVE_DIR: archiveDir } });
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(archiveDir, { recursive: true, force: true });
  });

  /** A tenant of its own with an admin and `n` chained events `ageDays` old (written as the superuser). */
  async function tenant(slug: string, n: number, ageDays: number) {
    const t = await seedOtherTenant(server.database.db, slug, ['admin']);
    await addEvents(t.tenantId, n, ageDays);
    return { ...t, asApp: <T>(s: SQL) => withTenantTx(server.database.db, t.tenantId, (tx) => queryRows<T>(tx, s)) };
  }
  const addEvents = (tenantId: string, n: number, ageDays: number) =>
    server.database.db.execute(sql`insert into audit_events (tenant_id, action, outcome, occurred_at, detail)
      select ${tenantId}::uuid, 'test.event', 'ALLOWED', now() - make_interval(days => ${ageDays}::int) + g * interval '1 second', jsonb_build_object('n', g)
      from generate_series(1, ${n}::int) g`);
  const login = (t: { email: string }, slug: string) => server.client().login(t.email, DEMO_PASSWORD, slug);
  /** As the database superuser, past the append-only triggers: what the verifier must reveal. */
  const asSuperuser = (statements: SQL[]) =>
    server.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger user`);
      await tx.execute(sql`alter table audit_archives disable trigger user`);
      for (const s of statements) await tx.execute(s);
      await tx.execute(sql`alter table audit_archives enable trigger user`);
      await tx.execute(sql`alter table audit_events enable trigger user`);
    });
  const count = async (asApp: <T>(s: SQL) => Promise<T[]>) => (await asApp<{ n: number }>(sql`select count(*)::int as n from audit_events`))[0].n;

  it('refuses the probe: retention 0 by the application role, then a cut of seconds-old events', async () => {
    const t = await tenant('probe', 36, 0);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const setZero = await refusal(t.asApp(sql`insert into security_policies (tenant_id, audit_retention_days) values (${t.tenantId}, 0)
      on conflict (tenant_id) do update set audit_retention_days = 0`));
    expect(setZero).toEqual({ code: '23514', message: expect.stringContaining('security_policies_audit_retention_days_range') as string });
    await t.asApp(sql`insert into security_policies (tenant_id, audit_retention_days) values (${t.tenantId}, 30)`);
    expect((await refusal(t.asApp(sql`update security_policies set audit_retention_days = 29`))).code).toBe('23514');
    expect((await refusal(t.asApp(sql`update security_policies set audit_retention_days = 3651`))).code).toBe('23514');

    const cut = await refusal(t.asApp(sql`select * from audit_retention_cut(35, 'probe.ndjson', ${SHA}, null)`));
    expect(cut).toEqual({ code: 'WA001', message: 'audit retention cut refused: events up to seq 35 are not all older than the retention period (30 days; the floor is 30 days)' });
    expect(await count(t.asApp)).toBe(36);
    const r = (await (await login(t, 'probe')).ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r).toMatchObject({ ok: true, firstSeq: 1, archives: 0, breaks: [] });

    const admin = await login(t, 'probe');
    const res = await admin.request('mutation { setAuditRetention(days: 0) { retentionDays } }');
    expect(res.errors?.[0]).toMatchObject({ message: 'days must be between 30 and 3650', extensions: { code: 'BAD_USER_INPUT', argument: 'days' } });
  });

  it('refuses a cut no matching checkpoint vouches for, and one across a chain that no longer verifies', async () => {
    const t = await tenant('uncovered', 10, 400);
    await addEvents(t.tenantId, 1, 0);
    const uncovered = await refusal(t.asApp(sql`select * from audit_retention_cut(10, 'u.ndjson', ${SHA}, null)`));
    expect(uncovered).toEqual({ code: 'WA001', message: 'audit retention cut refused: events up to seq 10 are not covered by a signed checkpoint' });

    await writeCheckpoints(server.database.db, server.services.auditSigner);
    await asSuperuser([sql`update audit_events set detail = '{"n": 99}' where tenant_id = ${t.tenantId} and seq = 4`]);
    const broken = await refusal(t.asApp(sql`select * from audit_retention_cut(10, 'u.ndjson', ${SHA}, null)`));
    expect(broken).toEqual({ code: 'WA001', message: 'audit retention cut refused: event 4 does not verify against the chain: a broken chain is not cut' });
    expect(await count(t.asApp)).toBe(11);

    // Through GraphQL the refusal is FORBIDDEN with the database's reason, and audited as DENIED.
    const admin = await login(t, 'uncovered');
    const res = await admin.request('mutation { archiveAuditLog { id } }');
    expect(res.errors?.[0]).toMatchObject({
      message: 'audit retention cut refused: event 4 does not verify against the chain: a broken chain is not cut',
      extensions: { code: 'FORBIDDEN', reason: 'AUDIT_CUT_REFUSED' },
    });
    const denied = await admin.ok<{ auditEvents: { edges: { node: { outcome: string } }[] } }>('{ auditEvents(filter: { action: "audit.archive" }) { edges { node { outcome } } } }');
    expect(denied.auditEvents.edges.map((e) => e.node.outcome)).toEqual(['DENIED']);
    expect(fs.existsSync(path.join(archiveDir, t.tenantId)) ? fs.readdirSync(path.join(archiveDir, t.tenantId)) : []).toEqual([]);
    // The job skips the tenant (and logs it) instead of failing for every tenant after it.
    const events = await count(t.asApp);
    await expect(runRetention(server.database.db, archiveDir, server.services.auditSigner)).resolves.toEqual([]);
    expect(await count(t.asApp)).toBe(events);
  });

  it('makes an honest cut of old, checkpointed events an audit event of its own, which the verifier checks', async () => {
    const t = await tenant('honest', 20, 400);
    await addEvents(t.tenantId, 3, 0);
    const admin = await login(t, 'honest');
    const { archiveAuditLog: a } = await admin.ok<{ archiveAuditLog: { id: string; firstSeq: number; lastSeq: number; eventCount: number; fileSha256: string; cutSeq: number } }>(
      'mutation { archiveAuditLog { id firstSeq lastSeq eventCount fileSha256 cutSeq } }',
    );
    expect(a).toMatchObject({ firstSeq: 1, lastSeq: 20, eventCount: 20 });
    const cuts = await admin.ok<{ auditEvents: { edges: { node: { seq: number; actorId: string | null; resourceIds: string[]; detail: string } }[] } }>(
      '{ auditEvents(filter: { action: "audit.retention_cut" }) { edges { node { seq actorId resourceIds detail } } } }',
    );
    expect(cuts.auditEvents.edges).toHaveLength(1);
    const cut = cuts.auditEvents.edges[0].node;
    expect(cut.seq).toBeGreaterThan(20);
    expect(cut.resourceIds).toEqual([a.id]);
    expect(JSON.parse(cut.detail)).toMatchObject({ firstSeq: 1, lastSeq: 20, count: 20, fileSha256: a.fileSha256, retentionDays: 365, floorDays: 30 });
    expect(a.cutSeq).toBe(cut.seq);
    expect((await admin.ok<Verification>(VERIFY)).verifyAuditLog).toMatchObject({ ok: true, firstSeq: 21, archives: 1, breaks: [] });

    // The cut's own event is in the chain: removing it is a break the verifier names.
    await asSuperuser([sql`delete from audit_events where tenant_id = ${t.tenantId} and seq = ${cut.seq}`]);
    const r = (await admin.ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r.ok).toBe(false);
    expect(r.breaks).toContainEqual({ kind: 'ARCHIVE', seq: 1, message: `retention cut 1-20 names audit event ${cut.seq}, which is missing: the cut is not recorded in the chain` });
  });

  it('reports rows a superuser removed as if cut: without a cut event, with another event, or inside the floor', async () => {
    // Removed with no archive at all: the chain does not start where it should.
    const bare = await tenant('bare-delete', 8, 0);
    await asSuperuser([sql`delete from audit_events where tenant_id = ${bare.tenantId} and seq <= 5`]);
    expect((await (await login(bare, 'bare-delete')).ok<Verification>(VERIFY)).verifyAuditLog.breaks[0]).toMatchObject({ kind: 'GAP', seq: 6 });

    // Removed with a forged archive row (so the chain continues its anchor) but no cut event.
    const forged = await tenant('forged-cut', 8, 0);
    const forge = (tenantId: string, cutSeq: SQL) => sql`insert into audit_archives (tenant_id, first_seq, last_seq, event_count, anchor_hash, file_name, file_sha256, cutoff, cut_seq)
      select tenant_id, 1, 5, 5, hash, 'f.ndjson', ${SHA}, now() - interval '400 days', ${cutSeq} from audit_events where tenant_id = ${tenantId} and seq = 5`;
    await asSuperuser([forge(forged.tenantId, sql`null`), sql`delete from audit_events where tenant_id = ${forged.tenantId} and seq <= 5`]);
    const r1 = (await (await login(forged, 'forged-cut')).ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r1).toMatchObject({ ok: false, firstSeq: 6, archives: 1 });
    expect(r1.breaks).toEqual([{ kind: 'ARCHIVE', seq: 1, message: 'retention cut 1-5 has no audit event: it was not made by audit_retention_cut()' }]);

    // Pointing at an ordinary event instead.
    const other = await tenant('other-event', 8, 0);
    await asSuperuser([forge(other.tenantId, sql`7`), sql`delete from audit_events where tenant_id = ${other.tenantId} and seq <= 5`]);
    const r2 = (await (await login(other, 'other-event')).ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r2.breaks).toEqual([{ kind: 'ARCHIVE', seq: 1, message: 'retention cut 1-5 names audit event 7, which does not record it (test.event, other bounds)' }]);

    // With a cut event appended the ordinary way, but a cutoff one day back: inside the floor.
    const young = await tenant('inside-floor', 8, 0);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const [{ seq: cp }] = await young.asApp<{ seq: number }>(sql`select max(seq) as seq from audit_checkpoints`);
    const cutoff = new Date(Date.now() - 86_400_000).toISOString();
    const archiveId = '00000000-0000-4000-8000-000000000001';
    await server.database.db.execute(sql`insert into audit_events (tenant_id, action, outcome, resource_type, resource_ids, detail)
      values (${young.tenantId}, 'audit.retention_cut', 'ALLOWED', 'AuditArchive', array[${archiveId}::uuid],
        jsonb_build_object('firstSeq', 1, 'lastSeq', 5, 'count', 5, 'fileSha256', ${SHA}::text, 'checkpointSeq', ${cp}::bigint,
          'cutoff', to_char(${cutoff}::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))`);
    await asSuperuser([
      sql`insert into audit_archives (tenant_id, id, first_seq, last_seq, event_count, anchor_hash, file_name, file_sha256, cutoff, cut_seq)
        select tenant_id, ${archiveId}, 1, 5, 5, hash, 'f.ndjson', ${SHA}, ${cutoff}::timestamptz,
          (select max(seq) from audit_events where tenant_id = ${young.tenantId}) from audit_events where tenant_id = ${young.tenantId} and seq = 5`,
      sql`delete from audit_events where tenant_id = ${young.tenantId} and seq <= 5`,
    ]);
    const r3 = (await (await login(young, 'inside-floor')).ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r3.breaks.map((b) => b.message)).toEqual([expect.stringMatching(/^retention cut 1-5 broke the retention floor: its cutoff is not at least the floor before the cut \(event \d+\)$/)]);
  });

  it('shows a cut the application role vouched for with a checkpoint it signed itself', async () => {
    const t = await tenant('self-signed', 6, 400);
    await addEvents(t.tenantId, 1, 0);
    // The database cannot check an Ed25519 signature: it takes a checkpoint whose hash matches...
    const [head] = await t.asApp<{ seq: number; hash: Uint8Array }>(sql`select seq, hash from audit_events order by seq desc limit 1`);
    const hash = Buffer.from(head.hash);
    const forged = sign(null, checkpointMessage(t.tenantId, Number(head.seq), hash), generateKeyPairSync('ed25519').privateKey);
    await t.asApp(sql`insert into audit_checkpoints (tenant_id, seq, hash, signature, key_id) values (${t.tenantId}, ${head.seq}, ${hash}, ${forged}, 'attacker')`);
    const [archive] = await t.asApp<{ last_seq: number }>(sql`select * from audit_retention_cut(6, 's.ndjson', ${SHA}, null)`);
    expect(Number(archive.last_seq)).toBe(6);
    // ...and the verifier, which trusts only the configured keys, names both the checkpoint and the cut.
    const r = (await (await login(t, 'self-signed')).ok<Verification>(VERIFY)).verifyAuditLog;
    expect(r.ok).toBe(false);
    expect(r.breaks.map((b) => b.kind).sort()).toEqual(['ARCHIVE', 'SIGNATURE']);
    expect(r.breaks.find((b) => b.kind === 'ARCHIVE')!.message).toBe(`retention cut 1-6 is not vouched for by a checkpoint with a trusted signature (it names checkpoint ${head.seq})`);
  });

  it('leaves the application role no other way to shorten the chain', async () => {
    const t = await tenant('other-ways', 5, 400);
    const other = await seedOtherTenant(server.database.db, 'other-ways-2', ['admin']);
    await server.database.db.execute(sql`insert into security_policies (tenant_id, audit_retention_days) values (${other.tenantId}, 400)`);
    await writeCheckpoints(server.database.db, server.services.auditSigner);
    const denied = async (s: SQL) => (await refusal(t.asApp(s))).code;
    for (const table of ['audit_events', 'audit_archives', 'audit_checkpoints', 'audit_outbox', 'security_policies']) {
      expect([table, await denied(sql.raw(`truncate ${table}`))]).toEqual([table, '42501']);
      expect([table, await denied(sql.raw(`delete from ${table}`))]).toEqual([table, '42501']);
    }
    expect(await denied(sql`update audit_checkpoints set seq = 0`)).toBe('42501');
    expect(await denied(sql`update audit_archives set last_seq = 0`)).toBe('42501');
    expect(await denied(sql`insert into audit_archives (tenant_id, first_seq, last_seq, event_count, anchor_hash, file_name, file_sha256, cutoff) values (${t.tenantId}, 1, 1, 1, '\\x00', 'f', ${SHA}, now())`)).toBe('42501');
    // The cut's flag does not open the table to anyone else: no grant for the role, no archive for the owner.
    const flagged = await refusal(withTenantTx(server.database.db, t.tenantId, async (tx) => {
      await tx.execute(sql`select set_config('warden.audit_cut', 'on', true)`);
      await tx.execute(sql`delete from audit_events where seq = 1`);
    }));
    expect(flagged.code).toBe('42501');
    const owner = await refusal(server.database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('warden.audit_cut', 'on', true)`);
      await tx.execute(sql`delete from audit_events where tenant_id = ${t.tenantId} and seq = 1`);
    }));
    expect(owner.message).toBe('audit_events is append-only (DELETE refused)');
    expect(await denied(sql`set local session_replication_role = replica`)).toBe('42501');
    expect(await denied(sql`alter table audit_events disable trigger user`)).toBe('42501');
    // Another tenant's policy is out of sight (row security): no row changes, and none can be written.
    expect(await t.asApp(sql`update security_policies set audit_retention_days = 30 where tenant_id = ${other.tenantId} returning tenant_id`)).toEqual([]);
    expect(await denied(sql`insert into security_policies (tenant_id, audit_retention_days) values (${other.tenantId}, 30)`)).toBe('42501');
    // The only SECURITY DEFINER functions it may run: the cut, and the outbox trigger (which runs only as a trigger).
    const definers = await t.asApp<{ name: string }>(sql`select proname as name from pg_proc where prosecdef and has_function_privilege(oid, 'execute')
      and pronamespace = 'public'::regnamespace order by 1`);
    expect(definers.map((d) => d.name)).toEqual(['audit_outbox_flush', 'audit_retention_cut']);
    expect((await refusal(t.asApp(sql`select audit_outbox_flush()`))).message).toMatch(/trigger functions can only be called as triggers/);
    expect(await count(t.asApp)).toBe(5);
    expect((await (await login(t, 'other-ways')).ok<Verification>(VERIFY)).verifyAuditLog.ok).toBe(true);
  });
});

describe('migration 0015 on a database with cuts made before it', () => {
  /** The migrations up to 0014 only, as a database deployed before this change has them. */
  function foldersBefore0015(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-migrations-'));
    const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.idx <= 14);
    fs.mkdirSync(path.join(dir, 'meta'));
    fs.writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify(journal));
    for (const e of journal.entries) fs.copyFileSync(path.join(MIGRATIONS_FOLDER, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
    return dir;
  }

  it('raises a low retention to the floor and links each earlier cut to the audit.archive event that recorded it', async () => {
    const serverUrl = process.env.TEST_DATABASE_URL;
    const name = `warden_t_${randomBytes(6).toString('hex')}`;
    const admin = serverUrl ? postgres(serverUrl, { max: 1, onnotice: () => {} }) : undefined;
    if (admin) await admin.unsafe(`create database ${name}`);
    const database: Database = await createDatabase(serverUrl ? { url: withDatabaseName(serverUrl, name), max: 2 } : { dataDir: 'memory://' });
    const before = foldersBefore0015();
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const db = database.db as any;
      if (database.kind === 'pglite') await migratePglite(db, { migrationsFolder: before });
      else await migratePostgres(db, { migrationsFolder: before });

      const [{ id: tenantId }] = await database.rows<{ id: string }>(sql`insert into tenants (slug, name) values ('legacy', 'Legacy') returning id`);
      await database.db.execute(sql`insert into audit_events (tenant_id, action, outcome, occurred_at)
        select ${tenantId}::uuid, 'test.event', 'ALLOWED', now() - interval '400 days' + g * interval '1 second' from generate_series(1, 6) g`);
      await database.db.execute(sql`insert into audit_events (tenant_id, action, outcome) values (${tenantId}, 'test.event', 'ALLOWED')`);
      const asApp = <T>(s: SQL) => withTenantTx(database.db, tenantId, (tx) => queryRows<T>(tx, s));
      await asApp(sql`insert into security_policies (tenant_id, audit_retention_days) values (${tenantId}, 7)`);
      // The cut as the application made it before 0015: the old function, then its own audit.archive event.
      const cut = await withTenantTx(database.db, tenantId, async (tx) => {
        const [a] = await queryRows<{ id: string }>(tx, sql`select id from audit_retention_cut(6, 'legacy.ndjson', ${SHA}, null)`);
        await tx.execute(sql`insert into audit_outbox (tenant_id, action, outcome, resource_type, resource_ids, detail)
          values (${tenantId}, 'audit.archive', 'ALLOWED', 'AuditArchive', array[${a.id}::uuid],
            jsonb_build_object('firstSeq', 1, 'lastSeq', 6, 'count', 6, 'fileName', 'legacy.ndjson', 'fileSha256', ${SHA}::text))`);
        return a;
      });
      const key = generateKeyPairSync('ed25519').privateKey;
      const signer: AuditSigner = { keyId: 'k', sign: (m) => sign(null, m, key), trusted: new Map([['k', createPublicKey(key)]]) };
      await withTenantTx(database.db, tenantId, (tx) => checkpointHead(tx, tenantId, signer));

      await migrate(database);
      expect(await asApp(sql`select audit_retention_days as days from security_policies`)).toEqual([{ days: 30 }]);
      const [archive] = await asApp<{ id: string; cut_seq: number }>(sql`select id, cut_seq from audit_archives`);
      expect(archive.id).toBe(cut.id);
      const [event] = await asApp<{ seq: number }>(sql`select seq from audit_events where action = 'audit.archive'`);
      expect(Number(archive.cut_seq)).toBe(Number(event.seq));
      const report = await withTenantTx(database.db, tenantId, (tx) => verifyChain(tx, tenantId, signer.trusted));
      expect(report).toMatchObject({ ok: true, firstSeq: 7, archives: 1, breaks: [] });
      expect((await refusal(asApp(sql`update security_policies set audit_retention_days = 7`))).code).toBe('23514');
    } finally {
      fs.rmSync(before, { recursive: true, force: true });
      await database.close();
      if (admin) {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    }
  });
});
