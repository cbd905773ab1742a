import fs from 'node:fs';

/** Where global setup left the prepared databases (see global-setup.ts). */
export type Templates =
  | { kind: 'postgres'; bare: string; demo: string }
  | { kind: 'pglite'; bare: string; demo: string };

export const TEMPLATE_ENV = 'WARDEN_TEST_TEMPLATES';

/** The templates of this run, or undefined when a test runs without the global setup. */
export function templates(): Templates | undefined {
  const raw = process.env[TEMPLATE_ENV];
  if (!raw) return undefined;
  const t = JSON.parse(raw) as Templates;
  // A template from another database server (the variable leaked from an earlier run) is not used.
  return (t.kind === 'postgres') === Boolean(process.env.TEST_DATABASE_URL) ? t : undefined;
}

/** A PGlite dump as the Blob PGlite loads a data directory from. */
export const pgliteDump = (file: string): Blob => new Blob([fs.readFileSync(file)]);
