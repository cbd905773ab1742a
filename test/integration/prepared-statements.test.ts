import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { createDatabase, type Db } from '../../src/db/client';
import { preparingClient } from '../../src/db/prepare';
import { createTestServer, type TestServer } from '../testkit/server';

const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

type Prepared = { statement: string; executions: number };

/**
 * The prepared statements of `connections` pooled connections at once: each transaction holds its
 * connection until all have read theirs, so every connection of the pool is seen.
 */
async function preparedOnPool(db: Db, connections: number): Promise<Prepared[]> {
  let release!: () => void;
  const allRead = new Promise<void>((r) => (release = r));
  let read = 0;
  const lists = await Promise.all(
    Array.from({ length: connections }, () =>
      db.transaction(async (tx) => {
        const rows = (await tx.execute(sql`select statement, (generic_plans + custom_plans)::int as executions from pg_prepared_statements`)) as unknown as Prepared[];
        if (++read === connections) release();
        await allRead;
        return rows;
      }),
    ),
  );
  return lists.flat();
}

describe('statements go out as named prepared statements on PostgreSQL (WARDEN_DB_PREPARE)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  pgOnly('a request’s statements are prepared: three requests execute the prepared article list three times', async () => {
    const lead = await server.as('lead');
    const query = '{ articles(first: 5) { edges { node { id title } } } }';
    const before = await preparedOnPool(server.database.db, 5);
    const runs = (list: Prepared[]) =>
      list.filter((p) => /^select\b/i.test(p.statement) && p.statement.includes('from "articles"') && p.statement.includes('limit')).reduce((n, p) => n + p.executions, 0);
    for (let i = 0; i < 3; i++) {
      expect((await lead.ok<{ articles: { edges: unknown[] } }>(query)).articles.edges.length).toBeGreaterThan(0);
    }
    expect(runs(await preparedOnPool(server.database.db, 5)) - runs(before)).toBe(3);
  });

  pgOnly('prepare: false sends them unnamed, and prepare: true names them inside transactions', async () => {
    const marker = `prepared_probe_${randomUUID().replace(/-/g, '')}`;
    const seen = async (prepare: boolean) => {
      const database = await createDatabase({ url: server.databaseUrl, max: 1, prepare });
      try {
        return await database.db.transaction(async (tx) => {
          await tx.execute(sql`select ${1}::int as ${sql.identifier(marker)}`);
          const rows = (await tx.execute(sql`select statement from pg_prepared_statements`)) as unknown as { statement: string }[];
          return rows.some((r) => r.statement.includes(marker));
        });
      } finally {
        await database.close();
      }
    };
    expect(await seen(false)).toBe(false);
    expect(await seen(true)).toBe(true);
  });

  pgOnly('prepares at most the cap of distinct texts; later new texts go out unnamed', async () => {
    const client = postgres(server.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const db = drizzle({ client: preparingClient(client, 2) });
      const markers = [1, 2, 3].map((n) => `cap_probe_${n}_${randomUUID().replace(/-/g, '')}`);
      const prepared = await db.transaction(async (tx) => {
        for (const m of markers) await tx.execute(sql`select ${1}::int as ${sql.identifier(m)}`);
        return (await tx.execute(sql`select statement from pg_prepared_statements`)) as unknown as { statement: string }[];
      });
      expect(markers.map((m) => prepared.some((p) => p.statement.includes(m)))).toEqual([true, true, false]);
    } finally {
      await client.end();
    }
  });
});
