import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { writeAuditEvents } from '../../src/audit/writer';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { createTestServer, type TestServer } from '../testkit/server';
import { dbFailure } from '../testkit/seed';

const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

/** Events reach the hash chain at commit, through audit_outbox (drizzle/0013_audit_outbox_flush.sql). */
describe('audit events enter the chain as their transaction commits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const actor = () => ({ tenantId: server.tenantId, actorId: null, sessionId: null });
  const event = (n: number) => ({ action: 'test.outbox', outcome: 'ALLOWED' as const, detail: { n } });
  /** As the connection's own user (not the application role): what the table really holds. */
  const superuserRows = <T>(q: ReturnType<typeof sql>) => server.database.rows<T>(q);
  const chained = (requestId: string) =>
    superuserRows<{ seq: number; n: number; hash: string | null }>(sql`
      select seq::int as seq, (detail->>'n')::int as n, encode(hash, 'hex') as hash from audit_events where request_id = ${requestId} order by seq`);
  const outbox = async () => Number((await superuserRows<{ n: number }>(sql`select count(*)::int as n from audit_outbox`))[0].n);

  it('chains a transaction’s events at commit, in the order written, and leaves the outbox empty', async () => {
    const requestId = randomUUID();
    const seenInside = await withTenantTx(server.database.db, server.tenantId, async (tx) => {
      await writeAuditEvents(tx, actor(), requestId, [event(1), event(2), event(3)]);
      return queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events where request_id = ${requestId}`);
    });
    expect(Number(seenInside[0].n)).toBe(0);
    const rows = await chained(requestId);
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(rows[1].seq).toBe(rows[0].seq + 1);
    expect(rows[2].seq).toBe(rows[1].seq + 1);
    expect(rows.every((r) => r.hash && r.hash.length === 64)).toBe(true);
    expect(await outbox()).toBe(0);
  });

  it('writes nothing when the transaction rolls back', async () => {
    const requestId = randomUUID();
    await expect(
      withTenantTx(server.database.db, server.tenantId, async (tx) => {
        await writeAuditEvents(tx, actor(), requestId, [event(1)]);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await chained(requestId)).toEqual([]);
    expect(await outbox()).toBe(0);
  });

  it('lets the application role add events to the outbox, and nothing else', async () => {
    for (const statement of [sql`select * from audit_outbox`, sql`delete from audit_outbox`, sql`update audit_outbox set action = 'x'`]) {
      expect(await dbFailure(withTenantTx(server.database.db, server.tenantId, (tx) => tx.execute(statement)))).toMatch(/permission denied/);
    }
  });

  it('refuses an event for another tenant than the transaction’s', async () => {
    const other = randomUUID();
    const refused = withTenantTx(server.database.db, server.tenantId, (tx) => writeAuditEvents(tx, { tenantId: other, actorId: null, sessionId: null }, null, [event(1)]));
    expect(await dbFailure(refused)).toMatch(/row-level security/);
  });

  pgOnly('does not make a second writer wait for a first that has written but not committed', async () => {
    // Before the outbox, the chain lock was taken at INSERT and held until COMMIT, so the second
    // transaction here would block until the first finished.
    const [first, second] = [randomUUID(), randomUUID()];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstWrote!: () => void;
    const wrote = new Promise<void>((r) => (firstWrote = r));
    const open = withTenantTx(server.database.db, server.tenantId, async (tx) => {
      await writeAuditEvents(tx, actor(), first, [event(1)]);
      firstWrote();
      await gate;
    });
    await wrote;
    const blocked = new Promise((_, reject) => setTimeout(() => reject(new Error('the second writer waited for the first')), 15_000));
    await Promise.race([withTenantTx(server.database.db, server.tenantId, (tx) => writeAuditEvents(tx, actor(), second, [event(2)])), blocked]);
    const secondSeq = (await chained(second))[0].seq;
    release();
    await open;
    // Chain order is commit order: the one that committed first has the lower seq.
    expect((await chained(first))[0].seq).toBeGreaterThan(secondSeq);
  });

  pgOnly('keeps the chain whole under concurrent writers', async () => {
    const ids = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all(ids.map((id) => withTenantTx(server.database.db, server.tenantId, (tx) => writeAuditEvents(tx, actor(), id, [event(1), event(2)]))));
    const analyst = await server.as('analyst');
    const v = await analyst.ok<{ verifyAuditLog: { ok: boolean; breaks: unknown[] } }>('{ verifyAuditLog { ok breaks { kind seq } } }');
    expect(v.verifyAuditLog).toEqual({ ok: true, breaks: [] });
    const seqs = (await superuserRows<{ seq: number }>(sql`select seq::int as seq from audit_events where tenant_id = ${server.tenantId} order by seq`)).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  });
});
