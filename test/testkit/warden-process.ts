import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { TEST_MASTER_KEY } from './server';

const ROOT = path.resolve(__dirname, '../..');

export type WardenProcess = {
  child: ChildProcess;
  /** The GraphQL endpoint. */
  url: string;
  base: string;
  output(): string;
  /** Null while running. */
  exitCode(): number | null | undefined;
  stop(): Promise<void>;
};

/**
 * Warden as a real process (`src/main.ts`, as `npm start` runs it) on a random port of 127.0.0.1, so
 * that an uncaught exception or unhandled rejection really ends it. The database was seeded with the
 * test run's master key (test/testkit/global-setup.ts), which the process is given.
 */
export function startWardenProcess(env: Record<string, string>): Promise<WardenProcess> {
  // Node itself with tsx's loader, as `npm start` runs it: the tsx CLI would run Warden as a grandchild,
  // which a SIGKILL of the CLI leaves running (and holding the test's pipes open).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      WARDEN_DATA_DIR: 'memory://',
      WARDEN_SEED_DEMO: 'never',
      WARDEN_MASTER_KEY: TEST_MASTER_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      resolve();
    }),
  );
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Warden did not start:\n${out}`)), 50_000);
    child.stdout!.on('data', () => {
      const m = /listening at (http:\/\/\S+?\/graphql)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        url: m[1],
        base: m[1].replace(/\/graphql$/, ''),
        output: () => out,
        exitCode: () => code,
        async stop() {
          if (code !== undefined) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`Warden exited with ${code}:\n${out}`)));
  });
}

/** A GET on a fresh connection (no keep-alive pool outliving the test). */
export const httpGet = (url: string) =>
  new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
