import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_MASTER_KEY } from './config';
import { ARMS, type ArmServer, type CapturedStatement, type ServerMessage } from './arms';
import { startWireCounter, type WireCounts } from './wire';

/** A measured server: production mode, its own application_name so its PostgreSQL backends can be found. */
export type MeasuredServer = { url: string; pid: number; applicationName: string };

/** The unmeasured twin of a measured server: test mode (responses carry counters), behind a wire counter. */
export type ProbeServer = { url: string; wire(): WireCounts };

export type Servers = {
  measured: Record<ArmServer, MeasuredServer>;
  probe: Record<ArmServer, ProbeServer>;
  /** The SQL statements the probe server of `server` runs while `work` does its requests. */
  capture(server: ArmServer, work: () => Promise<unknown>): Promise<CapturedStatement[]>;
  stop(): Promise<void>;
};

const withParams = (url: string, change: (u: URL) => void) => {
  const u = new URL(url);
  change(u);
  return u.toString();
};

/**
 * Every arm's server as a child process of the same build, sharing one signing key so a token works on
 * any of them. All use `databaseUrl` except no-rls, which uses the copy without row-level security.
 * Each arm has two servers on the same database: the measured one with NODE_ENV=production (no
 * test-only instrumentation: no per-request statement counter, no counters in responses), and a probe
 * server with NODE_ENV=test, never under load, whose responses report statements and rule evaluations
 * and whose connections to PostgreSQL pass through a wire counter (bench/wire.ts).
 */
export async function startServers(databaseUrl: string, noRlsUrl: string): Promise<Servers> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const env = {
    ...process.env,
    WARDEN_MASTER_KEY: BENCH_MASTER_KEY,
    WARDEN_JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WARDEN_SEED_DEMO: 'never',
    WARDEN_DATA_DIR: 'memory://',
    LOG_LEVEL: 'error',
    // S2 (100 customers with their tickets) and S3 with every first doubled are over the default query
    // cost limit (5000); every arm gets the same higher limit.
    WARDEN_MAX_COST: '30000',
  };
  const children = new Map<string, ChildProcess>();
  const start = (key: string, arm: ArmServer, nodeEnv: 'production' | 'test', url: string) =>
    new Promise<{ url: string; pid: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'serve.ts')], {
        env: { ...env, NODE_ENV: nodeEnv, BENCH_ARM: arm, DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      children.set(key, child);
      child.once('exit', (code) => reject(new Error(`${key} server exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, pid: child.pid! }));
    });
  const ask = (key: string, message: ServerMessage) =>
    new Promise<ServerMessage>((resolve) => {
      const child = children.get(key)!;
      child.once('message', (m) => resolve(m as ServerMessage));
      child.send(message);
    });
  const wires: Awaited<ReturnType<typeof startWireCounter>>[] = [];
  try {
    const measured = {} as Record<ArmServer, MeasuredServer>;
    const probe = {} as Record<ArmServer, ProbeServer>;
    await Promise.all(ARMS.map(async (arm) => {
      const base = arm === 'no-rls' ? noRlsUrl : databaseUrl;
      const applicationName = `warden-bench-${arm}`;
      const m = await start(arm, arm, 'production', withParams(base, (u) => u.searchParams.set('application_name', applicationName)));
      measured[arm] = { ...m, applicationName };
      const target = new URL(base);
      const wire = await startWireCounter({ host: target.hostname, port: Number(target.port || 5432) });
      wires.push(wire);
      const p = await start(`probe:${arm}`, arm, 'test', withParams(base, (u) => {
        u.host = `127.0.0.1:${wire.port}`;
        u.searchParams.set('application_name', `warden-probe-${arm}`);
      }));
      probe[arm] = { url: p.url, wire: wire.counts };
    }));
    return {
      measured,
      probe,
      async capture(arm, work) {
        const key = `probe:${arm}`;
        const collect = async () => {
          const reply = await ask(key, { type: 'collect' });
          return reply.type === 'captured' ? reply.statements : [];
        };
        // A background job can be running: wait for a quiet second.
        for (let i = 0; i < 30; i++) {
          await ask(key, { type: 'capture' });
          await new Promise((r) => setTimeout(r, 1000));
          if ((await collect()).length === 0) break;
        }
        await ask(key, { type: 'capture' });
        await work();
        return collect();
      },
      stop: async () => {
        await stopAll([...children.values()]);
        await Promise.all(wires.map((w) => w.close()));
      },
    };
  } catch (err) {
    await stopAll([...children.values()]);
    await Promise.all(wires.map((w) => w.close()));
    throw err;
  }
}

async function stopAll(children: ChildProcess[]) {
  await Promise.all(
    children
      .filter((c) => c.exitCode === null)
      .map((c) => new Promise<void>((resolve) => {
        c.removeAllListeners('exit');
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      })),
  );
}
