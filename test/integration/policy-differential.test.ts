import { describeViewer, buildWorld, setUpViewer, type World } from '../testkit/policy-world';
import { pickOperation, type Outcome } from '../testkit/policy-operations';
import { randomViewer } from '../testkit/policy-viewers';
import { Rng } from '../testkit/prng';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Differential test: random viewers (roles, scopes, clearances, grants live and expired, step-up or not)
 * × random read operations over HTTP, each answer compared with the reference model of the documented
 * policy (test/testkit/policy-model.ts, written from the rules, not from src/authz). A few hundred cases
 * here; `npm run test:fuzz -- --seed N --cases M` runs more, `--viewer K` replays one viewer of a run,
 * FUZZ_PROFILE=1 prints the time spent per operation.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const CASES = Number(process.env.FUZZ_CASES ?? 320);
const ONLY = process.env.FUZZ_VIEWER === undefined ? undefined : Number(process.env.FUZZ_VIEWER);
const OPS_PER_VIEWER = 8;
/** Full reports for this many failing cases; the rest only count in the summary. */
const SHOWN = Number(process.env.FUZZ_SHOW ?? 12);

const timing = new Map<string, [number, number]>();
const time = (what: string, since: number) => {
  const [n, ms] = timing.get(what) ?? [0, 0];
  timing.set(what, [n + 1, ms + Date.now() - since]);
};

type Failure = { viewer: number; index: number; who: string; outcome: Outcome };

describe('differential: the API against the reference model of the documented policy', () => {
  let server: TestServer;
  let world: World;

  beforeAll(async () => {
    server = await createTestServer();
    const t = Date.now();
    world = await buildWorld(server, Rng.of(SEED, -1));
    process.stderr.write(`world built in ${Date.now() - t} ms\n`);
  }, 120_000);
  afterAll(() => server?.stop());

  it(
    `answers ${CASES} random viewer × operation cases as the model does (seed ${SEED})`,
    async () => {
      const viewers = Math.ceil(CASES / OPS_PER_VIEWER);
      const failures: Failure[] = [];
      let cases = 0;
      let partial = 0;
      for (let v = 0; v < viewers; v++) {
        if (ONLY !== undefined && v !== ONLY) continue;
        const rng = Rng.of(SEED, v);
        const spec = randomViewer(rng, world);
        let t = Date.now();
        const { client, viewer } = await setUpViewer(world, spec);
        time('setUpViewer', t);
        for (let j = 0; j < OPS_PER_VIEWER && v * OPS_PER_VIEWER + j < CASES; j++) {
          const op = pickOperation(rng);
          t = Date.now();
          const outcome = await op({ world, client, viewer, rng, at: () => new Date() });
          time(op.name, t);
          cases++;
          if (outcome.partial) partial++;
          if (outcome.diffs.length) failures.push({ viewer: v, index: v * OPS_PER_VIEWER + j, who: describeViewer(world, spec), outcome });
        }
      }
      if (process.env.FUZZ_PROFILE) process.stderr.write(`${JSON.stringify(Object.fromEntries(timing))}\n`);
      const report = summarize(cases, partial, failures);
      process.stderr.write(`${report}\n`);
      if (failures.length) throw new Error(report);
      // A run where the model almost always says "all" or "nothing" could not tell a wrong policy from a right one.
      if (ONLY === undefined) expect(partial / cases).toBeGreaterThan(0.4);
    },
    Math.max(180_000, CASES * 1_000),
  );
});

function summarize(cases: number, partial: number, failures: Failure[]): string {
  const classes = new Map<string, number>();
  for (const f of failures) for (const cls of new Set(f.outcome.diffs.map((d) => d.cls))) classes.set(cls, (classes.get(cls) ?? 0) + 1);
  const lines = [
    `differential policy test, seed ${SEED}: ${cases} cases, ${partial} where the model showed some records, ${failures.length} failing`,
    ...[...classes].sort((a, b) => b[1] - a[1]).map(([cls, n]) => `  ${String(n).padStart(5)} × ${cls}`),
  ];
  for (const f of failures.slice(0, SHOWN)) {
    lines.push(
      '',
      `case ${f.index} (viewer ${f.viewer}); replay: FUZZ_SEED=${SEED} FUZZ_VIEWER=${f.viewer} npm run test:fuzz`,
      f.who,
      `operation: ${f.outcome.op}`,
      ...f.outcome.diffs.map((d) => `  [${d.cls}] ${d.message}`),
    );
  }
  if (failures.length > SHOWN) lines.push('', `... and ${failures.length - SHOWN} more failing cases (FUZZ_SHOW=n shows more)`);
  return lines.join('\n');
}
