/**
 * The operator's drill for database faults: two Warden instances on one PostgreSQL under steady load,
 * then the database restarted (or whatever DRILL_FAULT runs), and what clients saw.
 *
 *   DRILL_DATABASE_URL=postgres://postgres@127.0.0.1:5499/warden_drill \
 *   DRILL_FAULT='pg_ctlcluster --skip-systemctl-redirect 15 drill restart -m fast' npm run drill
 *
 * Use a PostgreSQL of its own: the fault hits every user of that server. Each client creates teams in a
 * loop; a mutation that did not get a success is retried until it does (half the clients with the same
 * Idempotency-Key, half without, as a client without keys would). Reported: whether each instance lived,
 * the status codes and GraphQL error codes seen, the time from the fault to each instance's first success
 * after it, and changes applied twice. Team names are unique, so a retry without a key of a change
 * that had in fact committed is refused (BAD_USER_INPUT: the name exists) instead of creating a second
 * team: those are counted as "would have applied twice" (any operation without a natural key would
 * have). With a key, such a retry is answered from the kept result (Idempotent-Replayed).
 */
import { exec, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { DEMO_PASSWORD } from '../src/db/seed/demo';

const databaseUrl = process.env.DRILL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5499/warden_drill';
const fault = process.env.DRILL_FAULT ?? '';
const seconds = Number(process.env.DRILL_SECONDS ?? 12);
const clientsPerInstance = Number(process.env.DRILL_CLIENTS ?? 6);
if (!fault) throw new Error('DRILL_FAULT: the shell command that breaks the database (see the header of bench/restart-drill.ts)');

type Instance = { name: string; url: string; child: ChildProcess; exit?: number | null; output: string[] };

function startInstance(name: string, masterKey: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../src/main.ts')], {
    env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, WARDEN_SEED_DEMO: 'always', WARDEN_MASTER_KEY: masterKey, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance: Instance = { name, url: '', child, output: [] };
  child.on('exit', (code) => (instance.exit = code));
  child.stderr!.on('data', (d: Buffer) => instance.output.push(String(d)));
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${instance.output.join('')}`)), 60_000).unref();
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${instance.output.join('')}`)));
    child.stdout!.on('data', (d: Buffer) => {
      instance.output.push(String(d));
      const m = /listening at (http:\/\/\S+?\/graphql)/.exec(instance.output.join(''));
      if (m && !instance.url) {
        instance.url = m[1];
        // From here on only warnings and errors are kept (request logs would fill memory).
        instance.output = [];
        child.stdout!.removeAllListeners('data').on('data', (line: Buffer) => /"level":"(warn|error|fatal)"/.test(String(line)) && instance.output.push(String(line)));
        resolve(instance);
      }
    });
  });
}

type Seen = { statuses: Map<string, number>; codes: Map<string, number>; successes: number[]; acknowledged: number; replayed: number; wouldApplyTwice: number };
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

async function post(url: string, token: string | undefined, query: string, variables: object, key?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(15_000) });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
    const codes = (body.errors ?? []).map((e) => e.extensions?.code ?? '?');
    return { status: String(res.status), codes, ok: res.status === 200 && !body.errors, body, replayed: res.headers.get('idempotent-replayed') === 'true' };
  } catch (err) {
    return { status: `no answer (${(err as Error).name})`, codes: [] as string[], ok: false, body: undefined, replayed: false };
  }
}

function describeLogLine(line: string): string {
  try {
    const l = JSON.parse(line) as { msg?: string; err?: { code?: string; message?: string; originalError?: { code?: string; message?: string } } };
    const e = l.err?.originalError ?? l.err;
    return `${l.msg ?? ''}: ${e?.code ?? ''} ${e?.message ?? ''}`.trim();
  } catch {
    return line.slice(0, 200);
  }
}

async function main() {
  const masterKey = Buffer.alloc(32, 7).toString('base64');
  const a = await startInstance('A', masterKey);
  const b = await startInstance('B', masterKey);
  const instances = [a, b];
  const login = async (i: Instance) => {
    const r = await post(i.url, undefined, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { tenant: 'acme', email: 'admin@acme.test', password: DEMO_PASSWORD } });
    return (r.body?.data?.login as { accessToken: string }).accessToken;
  };
  const tokens = await Promise.all(instances.map(login));
  const run = `drill-${Date.now().toString(36)}`;
  const seen = new Map(instances.map((i) => [i.name, { statuses: new Map(), codes: new Map(), successes: [], acknowledged: 0, replayed: 0, wouldApplyTwice: 0 } as Seen]));
  let stopped = false;
  let faultAt = 0;
  const client = async (i: number, instance: Instance, withKeys: boolean) => {
    const s = seen.get(instance.name)!;
    for (let n = 0; !stopped; n++) {
      const name = `${run}-${instance.name}${i}-${n}-${withKeys ? 'key' : 'nokey'}`;
      const key = withKeys ? randomUUID() : undefined;
      // Until it succeeds, as a client that must get its change through would.
      for (let attempt = 0; ; attempt++) {
        const r = await post(instance.url, tokens[instances.indexOf(instance)], 'mutation($n: String!) { createTeam(name: $n) { id } }', { n: name }, key);
        bump(s.statuses, r.status);
        for (const c of r.codes) bump(s.codes, c);
        if (r.ok) {
          s.successes.push(Date.now());
          s.acknowledged++;
          if (r.replayed) s.replayed++;
          break;
        }
        if (attempt > 0 && r.codes.includes('BAD_USER_INPUT')) {
          s.wouldApplyTwice++;
          break;
        }
        if (stopped && attempt > 50) break;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  const load = instances.flatMap((inst) => Array.from({ length: clientsPerInstance }, (_, i) => client(i, inst, i % 2 === 0)));
  await new Promise((r) => setTimeout(r, 3000));
  faultAt = Date.now();
  console.log(`fault: ${fault}`);
  // Not execSync: the clients in this process keep sending while the fault happens.
  await promisify(exec)(fault);
  const faultDone = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stopped = true;
  await Promise.all(load);

  const su = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const dup = await su<{ keyed: boolean; names: number; twice: number }[]>`
    select name like '%-key' as keyed, count(*)::int as names, count(*) filter (where n > 1)::int as twice
    from (select name, count(*) as n from teams where name like ${run + '-%'} group by name) t group by 1 order by 1`;
  await su.end();
  const report = {
    fault,
    faultMs: faultDone - faultAt,
    instances: instances.map((i) => {
      const s = seen.get(i.name)!;
      const after = s.successes.find((t) => t > faultDone);
      return {
        name: i.name,
        alive: i.exit === undefined,
        acknowledged: s.acknowledged,
        replayedWithKey: s.replayed,
        retriedWithoutKeyAfterCommit: s.wouldApplyTwice,
        firstSuccessAfterFaultMs: after === undefined ? null : after - faultDone,
        statuses: Object.fromEntries(s.statuses),
        errorCodes: Object.fromEntries(s.codes),
        unhandled: i.output.join('').match(/unhandled rejection|uncaught/gi)?.length ?? 0,
        // What the instance logged at error level, once each (by message and error code).
        errorsLogged: [...new Set(i.output.join('').split('\n').filter((l) => l.includes('"level":"error"')).map(describeLogLine))],
      };
    }),
    teams: dup.map((d) => ({ withIdempotencyKey: d.keyed, created: d.names, appliedTwice: d.twice })),
  };
  console.log(JSON.stringify(report, null, 2));
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', `drill-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`), JSON.stringify(report, null, 2));
  for (const i of instances) i.child.kill('SIGTERM');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
