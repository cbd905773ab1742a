import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { sql } from 'drizzle-orm';
import { TcpProxy } from '../../test/testkit/tcp-proxy';

async function main() {
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
  const client = postgres(proxy.urlFor('postgres://postgres@127.0.0.1:5432/test'), { max: 10, connect_timeout: 10, onnotice: () => {}, backoff: (n: number) => Math.min(0.05 * 2 ** n, 1) });
  const db = drizzle({ client });
  let stop = false;
  const pending = new Map<number, string>();
  let id = 0;
  const stats = { ok: 0, err: {} as Record<string, number> };
  const worker = async () => {
    while (!stop) {
      const me = id++;
      pending.set(me, 'begin');
      try {
        await db.transaction(async (tx) => {
          pending.set(me, 'q1');
          await tx.execute(sql`select 1`);
          pending.set(me, 'sp');
          await tx.transaction(async (t2) => { pending.set(me, 'q2'); await t2.execute(sql`select pg_sleep(0.01)`); });
          pending.set(me, 'q3');
          await tx.execute(sql`select 2`);
        });
        stats.ok++;
      } catch (e) {
        const c = String((e as any)?.cause?.code ?? (e as any)?.code ?? (e as Error).message).slice(0, 40);
        stats.err[c] = (stats.err[c] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
      pending.delete(me);
    }
  };
  const ws = Array.from({ length: 12 }, worker);
  await new Promise((r) => setTimeout(r, 1000));
  await proxy.cut();
  console.log('cut', stats);
  await new Promise((r) => setTimeout(r, 3000));
  console.log('during', stats, 'pending', [...pending.entries()]);
  await proxy.restore();
  await new Promise((r) => setTimeout(r, 3000));
  console.log('after', stats, 'pending', [...pending.entries()]);
  stop = true;
  await Promise.race([Promise.all(ws), new Promise((r) => setTimeout(r, 3000))]);
  console.log('end pending', [...pending.entries()]);
  process.exit(0);
}
main();
