import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
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

/** A GET on a fresh connection that is closed afterwards (no keep-alive pool outliving the test). */
const get = (url: string) =>
  new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

describe('the process: start-up with demo data, health, graceful shutdown', () => {
  it('seeds the demo tenant, answers health checks, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const { child, url, output } = await startWarden();
    const base = url.replace(/\/graphql$/, '');
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get(`${base}/readyz`)).status).toBe(200);

    // Put a request in flight for sure: headers and half the body sent, then SIGTERM, then the rest.
    // The server must not drop a connection whose request has begun (only idle ones).
    const body = JSON.stringify({ query: 'mutation { login(input: {tenant: "acme", email: "lead@acme.test", password: "warden-demo"}) { accessToken } }' });
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const inFlight = new Promise<{ data?: { login?: { accessToken?: string } } }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    const code = exited(child);
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    req.end(body.slice(20));

    expect((await inFlight).data?.login?.accessToken).toEqual(expect.any(String));
    const exitCode = await code;
    if (exitCode !== 0) throw new Error(`exit code ${exitCode}:\n${output()}`);
    expect(output()).toContain('shutting down');
    await expect(get(`${base}/healthz`)).rejects.toThrow();
  });
});
