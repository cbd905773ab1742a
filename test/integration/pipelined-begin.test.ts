import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { startWireCounter, diffCounts } from '../../bench/wire';
import type { Db } from '../../src/db/client';
import { preparingClient } from '../../src/db/prepare';
import { withTenantTx } from '../../src/db/tenant-tx';
import * as schema from '../../src/db/schema';

const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

/**
 * postgres.js is patched so that BEGIN does not wait for its answer before the transaction's callback
 * runs, and the tenant set-up is handed to the connection at once: BEGIN, the set-up and the first
 * query go out in one write (patches/README.md).
 */
describe('transaction set-up sent together with the first query (PostgreSQL)', () => {
  let client: postgres.Sql | undefined;
  let wire: Awaited<ReturnType<typeof startWireCounter>> | undefined;
  afterEach(async () => {
    await client?.end({ timeout: 5 });
    await wire?.close();
  });

  const connect = async (max: number) => {
    const target = new URL(process.env.TEST_DATABASE_URL!);
    wire = await startWireCounter({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${wire.port}`;
    client = postgres(target.toString(), { max, onnotice: () => {} });
    return drizzle({ client: preparingClient(client), schema }) as unknown as Db;
  };

  pgOnly('costs two round trips for BEGIN, set-up, one query and COMMIT, with the query seeing the tenant', async () => {
    const db = await connect(2);
    const tenant = '00000000-0000-4000-8000-000000000001';
    const read = (tx: Parameters<Parameters<typeof withTenantTx>[2]>[0]) =>
      tx.execute(sql`select current_setting('app.tenant_id', true) as tenant, current_user as role`) as unknown as Promise<{ tenant: string; role: string }[]>;
    await withTenantTx(db, tenant, read); // warm: the connection is open and the statements prepared
    const before = wire!.counts();
    const [row] = await withTenantTx(db, tenant, read);
    const used = diffCounts(wire!.counts(), before);
    expect(row).toEqual({ tenant, role: 'warden_app' });
    expect(used.roundTrips).toBe(2);
  });

  pgOnly("never lends a transaction's connection to other callers' statements, even while BEGIN is unanswered", async () => {
    const db = await connect(2);
    await db.execute(sql`select 1`); // both connections open
    await Promise.all([db.execute(sql`select 1`), db.execute(sql`select 1`)]);
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const inside = withTenantTx(db, '00000000-0000-4000-8000-000000000002', async (tx) => {
      await tx.execute(sql`select 1`);
      await hold;
    });
    // Statements outside any transaction, issued while its BEGIN is unanswered: postgres.js pipelines
    // them onto busy connections, so they would land on the transaction's one if it were filed as busy,
    // and run inside it. Each asks for a transaction id: on their own, every one gets a new one.
    const outside = await Promise.all(
      Array.from({ length: 40 }, () => db.execute(sql`select pg_current_xact_id()::text as xid`) as unknown as Promise<{ xid: string }[]>),
    );
    release();
    await inside;
    expect(new Set(outside.map(([r]) => r.xid)).size).toBe(40);
  });
});
