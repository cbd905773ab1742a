import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { templates } from './templates';

/** Jest global teardown: drop the template databases, or delete the PGlite dumps. */
export default async function globalTeardown(): Promise<void> {
  const t = templates();
  if (!t) return;
  if (t.kind === 'pglite') {
    fs.rmSync(path.dirname(t.bare), { recursive: true, force: true });
    return;
  }
  const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    for (const name of [t.demo, t.bare]) await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}
