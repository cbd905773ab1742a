import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/**
 * `npm run test:fuzz -- --seed 42 --cases 3000 [--viewer 17] [--show 30]`: the differential policy test
 * with more cases than CI runs (FUZZ_SEED, FUZZ_CASES, FUZZ_VIEWER, FUZZ_SHOW work too). On PostgreSQL
 * when TEST_DATABASE_URL is set, else on PGlite.
 */
const { values } = parseArgs({
  options: { seed: { type: 'string' }, cases: { type: 'string' }, viewer: { type: 'string' }, show: { type: 'string' } },
  strict: true,
});
const env = { ...process.env };
const number = (name: string, v: string | undefined, key: string) => {
  if (v === undefined) return;
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  env[key] = v;
};
number('seed', values.seed, 'FUZZ_SEED');
number('cases', values.cases ?? env.FUZZ_CASES ?? '3000', 'FUZZ_CASES');
number('viewer', values.viewer, 'FUZZ_VIEWER');
number('show', values.show, 'FUZZ_SHOW');
console.log(`differential policy test: seed ${env.FUZZ_SEED ?? '(default)'}, ${env.FUZZ_CASES} cases${env.FUZZ_VIEWER ? `, viewer ${env.FUZZ_VIEWER} only` : ''}`);
const jest = require.resolve('jest/bin/jest');
const run = spawnSync(process.execPath, [jest, 'test/integration/policy-differential.test.ts', '-i'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
