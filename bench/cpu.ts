import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type postgres from 'postgres';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU milliseconds (user + system, all threads) a process has used so far; null once it is gone. */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export type CpuSnapshot = { server: number | null; backends: Map<number, number> };

/**
 * The CPU of one benchmark server and of its PostgreSQL backends (those with its application_name).
 * Reading /proc of the backends needs PostgreSQL on this machine; `pg` must be able to see other
 * sessions' pids in pg_stat_activity (a superuser, or pg_read_all_stats).
 */
export async function cpuSnapshot(pg: postgres.Sql, serverPid: number, applicationName: string): Promise<CpuSnapshot> {
  const rows = await pg<{ pid: number }[]>`select pid from pg_stat_activity where application_name = ${applicationName}`;
  const backends = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (ms !== null) backends.set(pid, ms);
  }
  return { server: processCpuMs(serverPid), backends };
}

/**
 * CPU used between two snapshots. A backend that started in between counts in full (it did all its
 * work in the window); one that ended in between is lost, so `backendsLost` says how many.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { serverMs: number; postgresMs: number; backends: number; backendsLost: number } {
  let postgresMs = 0;
  for (const [pid, ms] of after.backends) postgresMs += ms - (before.backends.get(pid) ?? 0);
  const backendsLost = [...before.backends.keys()].filter((pid) => !after.backends.has(pid)).length;
  return { serverMs: (after.server ?? NaN) - (before.server ?? NaN), postgresMs, backends: after.backends.size, backendsLost };
}
