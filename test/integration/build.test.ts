import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startWarden, type WardenProcess } from '../testkit/process';
import { httpGet } from '../testkit/warden-process';

/**
 * `npm run build` output serves: compiled into a folder of its own beside dist/ (the build's layout
 * finds schema/ and drizzle/ one level up), started with plain `node` (no tsx, so any TypeScript or
 * missing file would fail it), on the embedded database with the demo tenant.
 */
const ROOT = path.resolve(__dirname, '../..');
const OUT = `dist-test-${randomBytes(4).toString('hex')}`;
let warden: WardenProcess | undefined;

afterAll(async () => {
  if (warden && warden.child.exitCode === null) {
    warden.child.kill('SIGKILL');
    await warden.exited;
  }
  fs.rmSync(path.join(ROOT, OUT), { recursive: true, force: true });
});

it('npm run build compiles to a folder that node serves GraphQL from', async () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['run', 'build', '--', '--outdir', OUT], { cwd: ROOT });
  expect(fs.existsSync(path.join(ROOT, OUT, 'main.js'))).toBe(true);
  expect(fs.existsSync(path.join(ROOT, OUT, 'authn/common-passwords.txt'))).toBe(true);

  warden = await startWarden({ WARDEN_DATA_DIR: 'memory://', WARDEN_SEED_DEMO: 'always', DATABASE_URL: '' }, ['--enable-source-maps', `${OUT}/main.js`]);
  expect(warden.output()).toContain('seeded demo tenant');
  const base = warden.url.replace(/\/graphql$/, '');
  expect(await httpGet(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await httpGet(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });

  const post = async (query: string, token?: string) => {
    const res = await fetch(warden!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const login = await post(`mutation { login(input: {tenant: "acme", email: "agent@acme.test", password: "${DEMO_PASSWORD}"}) { accessToken } }`);
  expect(login.errors).toBeUndefined();
  const page = await post('{ customers(first: 2) { edges { node { name phone } } } }', login.data!.login.accessToken);
  expect(page.errors).toBeUndefined();
  expect(page.data!.customers.edges).toHaveLength(2);
  // The agent sees personal data masked: the policy runs in the build as from source.
  expect(page.data!.customers.edges[0].node.phone).toMatch(/\*/);
});
