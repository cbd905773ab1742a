import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Start `src/main.ts` as `npm start` would, on an in-memory embedded database and a random port. */
function startWarden(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', WARDEN_DATA_DIR: 'memory://', LOG_LEVEL: 'info', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Warden did not start:\n${out}`)), 50_000);
    child.stdout!.on('data', () => {
      const m = /listening at (http:\/\/\S+?\/graphql)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`Warden exited with ${code}:\n${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

describe('the process: start-up with demo data, health, graceful shutdown', () => {
  it('seeds the demo tenant, answers health checks, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const { child, url, output } = await startWarden();
    const base = url.replace(/\/graphql$/, '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // A sign-in takes a while (argon2id): send it, then ask the process to stop while it runs.
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { login(input: {tenant: "acme", email: "lead@acme.test", password: "warden-demo"}) { accessToken } }' }),
    }).then((r) => r.json() as Promise<{ data?: { login?: { accessToken?: string } } }>);
    await new Promise((r) => setTimeout(r, 20));
    const code = exited(child);
    child.kill('SIGTERM');

    expect((await inFlight).data?.login?.accessToken).toEqual(expect.any(String));
    expect(await code).toBe(0);
    expect(output()).toContain('shutting down');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
