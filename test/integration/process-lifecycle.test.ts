import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { startWarden as startProcess } from '../testkit/process';

/** Start Warden as `npm start` does, on an in-memory embedded database and a random port. */
const startWarden = () => startProcess({ WARDEN_DATA_DIR: 'memory://', DATABASE_URL: '' });

/** A GET on a fresh connection that is closed afterwards, or on `agent`'s (keep-alive) connection. */
const get = (url: string, agent: http.Agent | false = false) =>
  new Promise<{ status: number; body: unknown; connection?: string }>((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), connection: res.headers.connection }));
      })
      .on('error', reject);
  });

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

describe('the process: start-up with demo data, health, graceful shutdown', () => {
  it('seeds the demo tenant, answers health checks, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const { child, url, output } = await startWarden();
    const base = url.replace(/\/graphql$/, '');
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' }, connection: 'close' });
    // A load balancer's health check on a connection it keeps open.
    const probe = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(`${base}/readyz`, probe)).status).toBe(200);

    // Put a request in flight for sure: headers and half the body sent, then SIGTERM, then the rest.
    // The server must not drop a connection whose request has begun (only idle ones).
    const body = JSON.stringify({ query: `mutation { login(input: {tenant: "acme", email: "lead@acme.test", password: "${DEMO_PASSWORD}"}) { accessToken } }` });
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
    // Out of rotation as soon as draining starts: the probe's open connection gets 503 and is closed.
    let ready = await get(`${base}/readyz`, probe);
    while (ready.status === 200) ready = await get(`${base}/readyz`, probe);
    expect(ready).toEqual({ status: 503, body: { status: 'draining' }, connection: 'close' });
    probe.destroy();
    req.end(body.slice(20));

    expect((await inFlight).data?.login?.accessToken).toEqual(expect.any(String));
    const exitCode = await code;
    if (exitCode !== 0) throw new Error(`exit code ${exitCode}:\n${output()}`);
    expect(output()).toContain('shutting down');
    await expect(get(`${base}/healthz`)).rejects.toThrow();
  });
});
