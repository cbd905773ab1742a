import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export type WardenProcess = { child: ChildProcess; url: string; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> };

/**
 * Start `src/main.ts` as a child process on a random port, with `env` added. Node itself with tsx as
 * loader, not the tsx CLI: that runs the program in a grandchild, which a SIGKILL to the child misses.
 * `nodeArgs` runs something else instead (a build: `['dist/main.js']`), relative to the project root.
 */
export function startWarden(env: Record<string, string>, nodeArgs = ['--import', 'tsx', 'src/main.ts']): Promise<WardenProcess> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Warden did not start:\n${out}`)), 50_000);
    child.stdout!.on('data', () => {
      const m = /listening at (http:\/\/\S+?\/graphql)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out, exited });
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`Warden exited with ${code ?? signal}:\n${out}`)));
  });
}
