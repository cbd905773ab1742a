import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { withDatabaseName } from '../../src/db/url';
import { seedDemo } from '../../src/db/seed/demo';
import { MasterKeys } from '../../src/crypto/master-key';
import { TEMPLATE_ENV, type Templates } from './templates';

/**
 * Jest global setup: migrate once, seed the demo tenant once, and let every test file start from a
 * copy (a PostgreSQL template database, or a PGlite data-directory dump) instead of running
 * initdb, the migrations and the argon2-hashed demo users again. The workers inherit the
 * environment set here, including the one master key the demo data is sealed with.
 */
export default async function globalSetup(): Promise<void> {
  const masterKey = randomBytes(32).toString('base64');
  const masters = MasterKeys.of(Buffer.from(masterKey, 'base64'));
  const serverUrl = process.env.TEST_DATABASE_URL;
  const id = randomBytes(4).toString('hex');
  let templates: Templates;
  if (serverUrl) {
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    const bare = `warden_tpl_${id}_bare`;
    const demo = `warden_tpl_${id}_demo`;
    try {
      await admin.unsafe(`create database ${bare}`);
      await using(withDatabaseName(serverUrl, bare), (d) => migrate(d));
      await admin.unsafe(`create database ${demo} template ${bare}`);
      await using(withDatabaseName(serverUrl, demo), (d) => seedDemo(d.db, masters));
    } finally {
      await admin.end();
    }
    templates = { kind: 'postgres', bare, demo };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-test-'));
    const database = await createDatabase({ dataDir: 'memory://' });
    const dump = async (name: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, Buffer.from(await (await database.dumpDataDir!()).arrayBuffer()));
      return file;
    };
    await migrate(database);
    const bare = await dump('bare.tar');
    await seedDemo(database.db, masters);
    const demo = await dump('demo.tar');
    await database.close();
    templates = { kind: 'pglite', bare, demo };
  }
  process.env.WARDEN_TEST_MASTER_KEY = masterKey;
  process.env[TEMPLATE_ENV] = JSON.stringify(templates);
}

/** Open the database at `url`, do `work`, close it. */
async function using(url: string, work: (d: Database) => Promise<unknown>): Promise<void> {
  const database = await createDatabase({ url, max: 2 });
  try {
    await work(database);
  } finally {
    await database.close();
  }
}
