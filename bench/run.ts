import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { createDatabase } from '../src/db/client';
import { queryRows } from '../src/db/rows';
import { withTenantTx } from '../src/db/tenant-tx';
import { findTenantBySlug } from '../src/modules/identity/identity.repo';
import { DATASET_PASSWORD } from '../src/db/seed/dataset/generate';
import { SIZES } from '../src/db/seed/dataset/sizes';
import { benchConfig } from './config';
import { prepareBenchDatabase } from './database';
import postgres from 'postgres';
import { median, post, run, type Sample } from './load';
import { probeCounts, type ProbeResult } from './probe';
import { cpuBetween, cpuSnapshot } from './cpu';
import type { WireCounts } from './wire';
import { SCENARIOS, type ArmSpec, type BenchContext } from './scenarios';
import type { ArmServer } from './arms';
import { startServers, type Servers } from './servers';
import { checkBudget, type BudgetCheck } from './budget';
import { explainStatements, type StatementPlan } from './explain';
import { prepareNoRlsCopy } from './rls';
import { alertOnlyDetection } from './detection';

/**
 * npm run bench: every scenario as two arms of the same build, interleaved (warm-up A, B; then A B × rounds),
 * reporting the median of the rounds. See README "Performance" for what each scenario compares.
 */
/** One measured round: the load's figures and the CPU the server and its PostgreSQL backends used meanwhile. */
type Round = Sample & { serverCpuMs: number; postgresCpuMs: number; backends: number; backendsLost: number };

type ArmResult = {
  label: string; server: string; user: string; statements: number; ruleEvaluations: number; wire: WireCounts; rowsInProbe: number; rounds: Round[];
  median: Omit<Sample, 'requests'> & { requests: number };
  /** CPU milliseconds per completed request, over all measured rounds together. */
  cpuPerRequest: { serverMs: number; postgresMs: number };
};

async function login(url: string, tenant: string, email: string): Promise<string> {
  const json = await post<{ login: { accessToken: string } }>(url, null, JSON.stringify({
    query: 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
    variables: { i: { tenant, email, password: DATASET_PASSWORD } },
  }));
  if (!json.data) throw new Error(`login as ${email} failed: ${JSON.stringify(json.errors)}`);
  return json.data.login.accessToken;
}

/** Milliseconds to one decimal; '—' when an arm got no answer within the run. */
const ms = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : '—');
/** CPU milliseconds per request, to two decimals. */
const cpu = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : '—');

/** Number of objects in a response, as a rough check that an arm returns data. */
const countNodes = (data: unknown): number => {
  if (Array.isArray(data)) return data.reduce((n: number, d) => n + countNodes(d), 0);
  if (data && typeof data === 'object') return Object.entries(data).reduce((n, [k, v]) => n + (k === 'node' ? 1 : 0) + countNodes(v), 0);
  return 0;
};

const perRequest = (rounds: Round[], key: 'serverCpuMs' | 'postgresCpuMs') =>
  rounds.reduce((s, r) => s + r[key], 0) / rounds.reduce((s, r) => s + r.requests, 0);

const medianOf = (rounds: Sample[]) => ({
  reqPerSec: median(rounds.map((r) => r.reqPerSec)),
  p50: median(rounds.map((r) => r.p50)),
  p95: median(rounds.map((r) => r.p95)),
  p99: median(rounds.map((r) => r.p99)),
  requests: rounds.reduce((s, r) => s + r.requests, 0),
  graphqlErrors: rounds.reduce((s, r) => s + r.graphqlErrors, 0),
  non2xx: rounds.reduce((s, r) => s + r.non2xx, 0),
  transportErrors: rounds.reduce((s, r) => s + r.transportErrors, 0),
});

async function main() {
  const cfg = benchConfig();
  const started = new Date();
  console.log(`Warden benchmark: dataset ${cfg.size}, ${cfg.seconds}s × ${cfg.rounds} rounds per arm, ${cfg.connections} connections`);
  if (cfg.size !== 'M') console.log(`Note: the budgets in the README are meant for size M; this run uses ${cfg.size}.`);
  const prepared = await prepareBenchDatabase(cfg.databaseUrl, cfg.size);
  const noRls = await prepareNoRlsCopy(cfg.databaseUrl);
  console.log(`copied the database without row-level security for S6 in ${Math.round(noRls.copiedMs / 1000)} s`);
  const database = await createDatabase({ url: cfg.databaseUrl, max: 2 });
  // Sees every session's pid in pg_stat_activity (the benchmark connects as a superuser).
  const stats = postgres(cfg.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'warden-bench-stats' } });
  let servers: Servers | undefined;
  try {
    const tenantId = (await withTenantTx(database.db, null, (tx) => findTenantBySlug(tx, prepared.tenantSlug))).id;
    const ctx: BenchContext = { db: database.db, tenantId, slug: prepared.tenantSlug };
    servers = await startServers(cfg.databaseUrl, noRls.url);
    const tokens = new Map<string, { token: string; at: number }>();
    // Sessions are rows: the copy without RLS has its own, so its server gets its own sign-ins.
    const tokenFor = async (user: string, server: ArmServer = 'authorized') => {
      const db = server === 'no-rls' ? 'no-rls' : 'main';
      const key = `${db}:${user}`;
      const cached = tokens.get(key);
      // Access tokens live at most 15 minutes; renew well before.
      if (cached && Date.now() - cached.at < 8 * 60_000) return cached.token;
      const token = await login(servers!.measured[server].url, prepared.tenantSlug, `${user}@${prepared.tenantSlug}.test`);
      tokens.set(key, { token, at: Date.now() });
      return token;
    };
    // The load reads personal data in bulk on purpose: detection keeps raising alerts, without revoking sessions.
    const detection = await alertOnlyDetection(servers.measured.authorized.url, await tokenFor('admin'));
    const results: Record<string, unknown>[] = [];
    const budgets: (BudgetCheck & { scenario: string })[] = [];
    const table: Record<string, string | number>[] = [];
    for (const scenario of SCENARIOS.filter((s) => !cfg.only || cfg.only.includes(s.id.toUpperCase()))) {
      const arms = await scenario.arms(ctx);
      const since = new Date(Date.now() - 1000);
      const load = async (arm: ArmSpec) => ({ url: servers!.measured[arm.server].url, token: await tokenFor(arm.user, arm.server), body: arm.body });
      const measure = async (arm: ArmSpec, seconds: number): Promise<Round> => {
        const server = servers!.measured[arm.server];
        const l = await load(arm);
        const before = await cpuSnapshot(stats, server.pid, server.applicationName);
        const sample = await run(l, seconds, cfg.connections);
        // Requests still in flight when the load stops finish within their latency.
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.ceil(sample.p99 || 0) + 50)));
        const cpu = cpuBetween(before, await cpuSnapshot(stats, server.pid, server.applicationName));
        return { ...sample, serverCpuMs: cpu.serverMs, postgresCpuMs: cpu.postgresMs, backends: cpu.backends, backendsLost: cpu.backendsLost };
      };
      const probes: ProbeResult[] = [];
      for (const arm of arms) {
        const p = await probeCounts(servers.probe[arm.server], await tokenFor(arm.user, arm.server), () => arm.body(0));
        if (p.errors.length) throw new Error(`${scenario.id} ${arm.label}: the probe request failed: ${JSON.stringify(p.errors).slice(0, 500)}`);
        probes.push(p);
      }
      process.stdout.write(`${scenario.id} ${scenario.title}\n  warm-up`);
      for (const arm of arms) await run(await load(arm), cfg.warmupSeconds, cfg.connections);
      const rounds: Round[][] = [[], []];
      for (let r = 0; r < cfg.rounds; r++) {
        for (const [i, arm] of arms.entries()) {
          process.stdout.write(` ${'AB'[i]}${r + 1}`);
          rounds[i].push(await measure(arm, cfg.seconds));
        }
      }
      process.stdout.write('\n');
      const armResults: ArmResult[] = arms.map((arm, i) => ({
        label: arm.label, server: arm.server, user: arm.user, statements: probes[i].statements, ruleEvaluations: probes[i].ruleEvaluations, wire: probes[i].wire,
        rowsInProbe: countNodes(probes[i].data), rounds: rounds[i], median: medianOf(rounds[i]),
        cpuPerRequest: { serverMs: perRequest(rounds[i], 'serverCpuMs'), postgresMs: perRequest(rounds[i], 'postgresCpuMs') },
      }));
      await new Promise((r) => setTimeout(r, 500));
      const checks = scenario.after ? await scenario.after(ctx, since) : undefined;
      if (checks) console.log('  checks', checks);
      const extraProbes = [];
      for (const p of scenario.probes ?? []) {
        const r = await probeCounts(servers.probe[p.server], await tokenFor(p.user, p.server), p.body);
        extraProbes.push({ label: p.label, user: p.user, statements: r.statements, ruleEvaluations: r.ruleEvaluations, wire: r.wire, errors: r.errors.length });
      }
      if (extraProbes.length) console.log('  probes', extraProbes.map((p) => `${p.label}: ${p.statements} statements, ${p.wire.roundTrips} round trips, ${p.ruleEvaluations} rule evaluations`).join('; '));
      let plans: StatementPlan[] | undefined;
      if (scenario.explain) {
        const arm = arms[0];
        const token = await tokenFor(arm.user, arm.server);
        const statements = await servers.capture(arm.server, () => post(servers!.probe[arm.server].url, token, arm.body(0)));
        plans = await explainStatements(cfg.databaseUrl, tenantId, statements);
        for (const p of plans) {
          console.log(`  EXPLAIN ${p.statement.slice(0, 70)}… ${ms(p.totalMs)} ms; tenant InitPlans ${p.tenantInitPlans} (max loops ${p.tenantInitPlanMaxLoops}); ` +
            p.scans.map((x) => `${x.relation}: ${x.node}${x.index ? ` ${x.index}` : ''}, ${x.rows} rows, tenant ${x.tenantCondition}`).join('; '));
        }
      }
      const [a, b] = armResults.map((r) => ({ reqPerSec: r.median.reqPerSec, p99: r.median.p99, statements: r.statements, roundTrips: r.wire.roundTrips,
        cpuMsPerRequest: r.cpuPerRequest.serverMs + r.cpuPerRequest.postgresMs }));
      const budget = checkBudget(scenario.budget, a, b);
      if (scenario.id === 'S2' || scenario.id === 'S2m') {
        const [p50, p100] = extraProbes;
        budget.push({ name: 'rule evaluations, first: 50 vs 100', budget: 'equal', measured: `${p50.ruleEvaluations} vs ${p100.ruleEvaluations}`, met: p50.ruleEvaluations === p100.ruleEvaluations });
      }
      if (checks && 'oneAuditRowPerMutation' in checks) {
        budget.push({ name: 'audit rows = audited mutations', budget: 'equal', measured: `${String(checks.auditRows)} vs ${String(checks.auditedVersions)}`, met: checks.oneAuditRowPerMutation === true });
      }
      for (const c of budget) console.log(`  budget ${c.met ? 'met ' : 'MISSED'} ${c.name}: ${c.measured} (budget ${c.budget})`);
      budgets.push(...budget.map((c) => ({ scenario: scenario.id, ...c })));
      results.push({ id: scenario.id, title: scenario.title, arms: armResults, checks, probes: extraProbes, budget, explain: plans });
      for (const a of armResults) {
        table.push({
          scenario: scenario.id, arm: a.label, 'req/s': Math.round(a.median.reqPerSec), 'p50 ms': ms(a.median.p50), 'p95 ms': ms(a.median.p95), 'p99 ms': ms(a.median.p99),
          'server CPU ms/req': cpu(a.cpuPerRequest.serverMs), 'PG CPU ms/req': cpu(a.cpuPerRequest.postgresMs),
          'SQL/req': a.statements, 'round trips': a.wire.roundTrips, parses: a.wire.parses, rules: a.ruleEvaluations, nodes: a.rowsInProbe, 'errors': a.median.graphqlErrors + a.median.non2xx + a.median.transportErrors,
        });
      }
    }
    console.table(table);
    console.table(budgets.map((c) => ({ scenario: c.scenario, check: c.name, budget: c.budget, measured: c.measured, met: c.met ? 'yes' : 'NO' })));
    const [pg] = await withTenantTx(database.db, null, (tx) => queryRows<{ v: string }>(tx, sql`select version() as v`));
    const commit = (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return null; } })();
    const report = {
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { os: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
      versions: { node: process.version, postgres: pg.v, warden: (JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { version: string }).version, commit },
      dataset: { size: cfg.size, counts: SIZES[cfg.size], tenant: prepared.tenantSlug, generatedMs: prepared.generatedMs },
      method: {
        seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds, rounds: cfg.rounds, connections: cfg.connections, order: 'warm-up A, B; then A B per round; median of rounds',
        measuredServers: 'NODE_ENV=production; counters (statements, rule evaluations, wire) from a separate probe server in test mode, never under load',
        cpu: 'utime+stime from /proc of the server process and of its PostgreSQL backends (by application_name) over all measured rounds, divided by completed requests',
        // Passed on to every server: the benchmark of one build with and without prepared statements.
        env: { WARDEN_DB_PREPARE: process.env.WARDEN_DB_PREPARE ?? null },
        roundTrips: 'client flushes answered by PostgreSQL, counted by a proxy between the probe server and PostgreSQL (BEGIN, COMMIT and set-up included; pipelined messages count once); least of 3 after 5 warm-up requests',
      },
      detection,
      noRlsCopyMs: noRls.copiedMs,
      table,
      budgets,
      scenarios: results,
    };
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${started.toISOString().replace(/[:]/g, '-').replace(/\..+/, '')}.json`);
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await servers?.stop();
    await stats.end();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
