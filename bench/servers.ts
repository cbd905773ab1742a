import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_MASTER_KEY } from './config';

export type ArmServer = 'authorized' | 'unrestricted';
export type Servers = { url: Record<ArmServer, string>; stop(): Promise<void> };

/**
 * Both arms' servers as child processes of the same build on the same database, sharing one signing key
 * so a token works on either. NODE_ENV=test only makes responses carry the statement counter.
 */
export async function startServers(databaseUrl: string): Promise<Servers> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    WARDEN_MASTER_KEY: BENCH_MASTER_KEY,
    WARDEN_JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WARDEN_SEED_DEMO: 'never',
    WARDEN_DATA_DIR: 'memory://',
    LOG_LEVEL: 'error',
  };
  const children: ChildProcess[] = [];
  const start = (arm: ArmServer) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'serve.ts')], { env: { ...env, BENCH_ARM: arm }, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      child.once('exit', (code) => reject(new Error(`${arm} server exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    });
  try {
    const [authorized, unrestricted] = [await start('authorized'), await start('unrestricted')];
    return { url: { authorized, unrestricted }, stop: () => stopAll(children) };
  } catch (err) {
    await stopAll(children);
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
