import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_MASTER_KEY } from './config';
import type { ArmServer, CapturedStatement, ServerMessage } from './arms';

export type Servers = {
  url: Record<ArmServer, string>;
  /** The SQL statements `server` runs while `work` does its requests. */
  capture(server: ArmServer, work: () => Promise<unknown>): Promise<CapturedStatement[]>;
  stop(): Promise<void>;
};

/**
 * Every arm's server as a child process of the same build, sharing one signing key so a token works on
 * any of them. All use `databaseUrl` except no-rls, which uses the copy without row-level security.
 * NODE_ENV=test only makes responses carry the statement counter.
 */
export async function startServers(databaseUrl: string, noRlsUrl: string): Promise<Servers> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    WARDEN_MASTER_KEY: BENCH_MASTER_KEY,
    WARDEN_JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WARDEN_SEED_DEMO: 'never',
    WARDEN_DATA_DIR: 'memory://',
    LOG_LEVEL: 'error',
    // S2 (100 customers with their tickets) and S3 with every first doubled are over the default query
    // cost limit (5000); every arm gets the same higher limit.
    WARDEN_MAX_COST: '30000',
  };
  const children = new Map<ArmServer, ChildProcess>();
  const start = (arm: ArmServer) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'serve.ts')], {
        env: { ...env, BENCH_ARM: arm, DATABASE_URL: arm === 'no-rls' ? noRlsUrl : databaseUrl },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      children.set(arm, child);
      child.once('exit', (code) => reject(new Error(`${arm} server exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    });
  const ask = (arm: ArmServer, message: ServerMessage) =>
    new Promise<ServerMessage>((resolve) => {
      const child = children.get(arm)!;
      child.once('message', (m) => resolve(m as ServerMessage));
      child.send(message);
    });
  try {
    const url = {} as Record<ArmServer, string>;
    for (const arm of ['authorized', 'unrestricted', 'no-audit', 'no-rls'] as const) url[arm] = await start(arm);
    return {
      url,
      async capture(arm, work) {
        const collect = async () => {
          const reply = await ask(arm, { type: 'collect' });
          return reply.type === 'captured' ? reply.statements : [];
        };
        // Requests of the last load can still be running (up to its slowest latency): wait for a quiet second.
        for (let i = 0; i < 30; i++) {
          await ask(arm, { type: 'capture' });
          await new Promise((r) => setTimeout(r, 1000));
          if ((await collect()).length === 0) break;
        }
        await ask(arm, { type: 'capture' });
        await work();
        return collect();
      },
      stop: () => stopAll([...children.values()]),
    };
  } catch (err) {
    await stopAll([...children.values()]);
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
