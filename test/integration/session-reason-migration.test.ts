import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate, MIGRATIONS_FOLDER } from '../../src/db/migrate';
import { queryRows } from '../../src/db/rows';
import { withDatabaseName } from '../../src/db/url';

/**
 * Migration 0018 turns the free-text revocation reasons sessions already hold into the closed set of
 * codes (and the alert of a security response into the session's reference) before it checks them.
 */
describe('migration 0018: existing revocation reasons are mapped to the codes', () => {
  let database: Database;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) {
      database = await createDatabase({ dataDir: 'memory://' });
      drop = () => database.close();
      return;
    }
    const name = `warden_t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    database = await createDatabase({ url: withDatabaseName(serverUrl, name), max: 2 });
    drop = async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  });
  afterAll(() => drop());

  it('maps every old value, keeps the alert id as the reference, and then refuses free text', async () => {
    // Everything before 0018, recorded as drizzle's migrator would, so migrate() applies only 0018 and later.
    const files = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    const before = files.filter((m) => !m.sql.join('').includes('sessions_revoked_reason_check')).slice(0, 18);
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`create schema if not exists drizzle`);
      await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`);
      for (const m of before) {
        for (const statement of m.sql) await tx.execute(sql.raw(statement));
        await tx.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`);
      }
    });

    const tenantId = randomUUID();
    const userId = randomUUID();
    const alertId = randomUUID();
    const old: Record<string, string | null> = {
      logout: 'LOGGED_OUT',
      'revoked by user': 'LOGGED_OUT',
      'password changed': 'PASSWORD_CHANGED',
      'revoked by administrator': 'REVOKED_BY_ADMIN',
      suspended: 'REVOKED_BY_ADMIN',
      'mfa reset': 'REVOKED_BY_ADMIN',
      [`lockdown ${randomUUID()}`]: 'REVOKED_BY_ADMIN',
      offboarded: 'OFFBOARDED',
      'SCIM delete': 'OFFBOARDED',
      'refresh token reuse': 'TOKEN_REUSE',
      [`security alert ${alertId}`]: 'SECURITY_RESPONSE',
      'something else': 'REVOKED_BY_ADMIN',
    };
    const owner = (q: ReturnType<typeof sql>) => database.db.execute(q);
    await owner(sql`insert into tenants (id, slug, name) values (${tenantId}, ${`t${randomBytes(3).toString('hex')}`}, 'Migrated')`);
    await owner(sql`insert into users (tenant_id, id, email, display_name) values (${tenantId}, ${userId}, 'u@example.test', 'U')`);
    for (const reason of Object.keys(old)) {
      await owner(sql`insert into sessions (tenant_id, user_id, refresh_token_hash, expires_at, revoked_at, revoked_reason)
        values (${tenantId}, ${userId}, 'x', now() + interval '1 day', now(), ${reason})`);
    }
    // A revoked session without a reason, and a live one.
    await owner(sql`insert into sessions (tenant_id, user_id, refresh_token_hash, expires_at, revoked_at) values (${tenantId}, ${userId}, 'x', now() + interval '1 day', now())`);
    await owner(sql`insert into sessions (tenant_id, user_id, refresh_token_hash, expires_at) values (${tenantId}, ${userId}, 'live', now() + interval '1 day')`);

    expect((await migrate(database)).applied).toBe(files.length - before.length);

    const rows = await queryRows<{ revoked_reason: string | null; revoked_reference: string | null; refresh_token_hash: string }>(
      database.db,
      sql`select revoked_reason, revoked_reference, refresh_token_hash from sessions order by created_at, id`,
    );
    const codes = rows.map((r) => r.revoked_reason);
    expect(codes.filter((c) => c === null)).toHaveLength(1);
    expect(rows.find((r) => r.refresh_token_hash === 'live')?.revoked_reason).toBeNull();
    expect(new Set(codes.filter(Boolean))).toEqual(new Set(Object.values(old)));
    expect(codes.filter((c) => c === 'REVOKED_BY_ADMIN')).toHaveLength(6); // four admin actions, one unknown, one without a reason
    expect(rows.filter((r) => r.revoked_reference)).toEqual([{ revoked_reason: 'SECURITY_RESPONSE', revoked_reference: alertId, refresh_token_hash: 'x' }]);

    // From now on only the codes are stored.
    const refusal = (q: ReturnType<typeof sql>) => owner(q).then(
      () => 'accepted',
      (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
    );
    expect(await refusal(sql`update sessions set revoked_at = now(), revoked_reason = 'logout' where refresh_token_hash = 'live'`)).toMatch(/sessions_revoked_reason_check/);
    expect(await refusal(sql`update sessions set revoked_at = now() where refresh_token_hash = 'live'`)).toMatch(/sessions_revoked_with_reason/);
    expect(await refusal(sql`update sessions set revoked_reference = ${alertId} where refresh_token_hash = 'live'`)).toMatch(/sessions_reference_of_response/);
  });
});
