import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { MasterKeys } from '../../src/crypto/master-key';
import { rotateTenant } from '../../src/crypto/rotate';
import { prepareEncryption } from '../../src/crypto/startup';
import { queryRows } from '../../src/db/rows';
import { DEMO_CUSTOMERS } from '../../src/db/seed/demo';
import { withTenantTx } from '../../src/db/tenant-tx';
import { SEALED_TABLES } from '../../src/modules/crm/customer.pii';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, TEST_MASTER_KEY, type TestServer } from '../testkit/server';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

const run = promisify(execFile);
type Node = { id: string; name: string; phone: string | null; email: string | null; idNumber: string | null; address: string | null; contacts: { phone: string | null }[] };
const ALL = '{ customers(first: 100) { edges { node { id name phone email idNumber address contacts { phone } } } } }';

describe('key rotation while the server serves', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  let tenant: { id: string; slug: string };
  const rotate = (masters: MasterKeys, newDataKey = true) => rotateTenant(server.database.db, masters, tenant, { newDataKey, batchSize: 2, tables: SEALED_TABLES });
  const raw = <T>(query: ReturnType<typeof sql>) => withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<T>(tx, query));
  const snapshot = async () => (await lead.ok<{ customers: { edges: { node: Node }[] } }>(ALL)).customers.edges.map((e) => e.node).sort((a, b) => a.id.localeCompare(b.id));
  const versions = () => raw<{ v: number | null; n: number }>(sql`select pii_key_version as v, count(*)::int as n from customers group by 1 union all select pii_key_version, count(*)::int from customer_contacts group by 1`);
  const keys = () => raw<{ version: number; retired: boolean }>(sql`select version, retired_at is not null as retired from tenant_keys order by version`);
  const lookup = (phone: string) => lead.ok<{ customerByContact: { name: string }[] }>('query($p: String) { customerByContact(phone: $p) { name } }', { p: phone });

  beforeAll(async () => {
    server = await createTestServer();
    lead = await server.as('lead');
    tenant = { id: server.tenantId, slug: 'acme' };
    // These tests read every customer's PII many times over on purpose; the default bulk-read rule
    // would (rightly) revoke the lead's sessions part-way.
    const admin = await server.as('admin');
    await admin.ok('mutation { configureDetectionRule(input: { kind: BULK_PII_READ, enabled: false }) { enabled } }');
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  it('re-encrypts every row under a new data key while reads and writes go on, and nothing changes for readers', async () => {
    const before = await snapshot();
    const ciphertextsBefore = await raw<{ id: string; ct: string }>(sql`select id::text as id, encode(phone_ct, 'hex') as ct from customers`);
    const masters = server.services.masterKeys;
    // Rotation in small batches, interleaved with reads, creations and updates through the API.
    const traffic = (async () => {
      const created: string[] = [];
      for (let i = 0; i < 6; i++) {
        expect((await snapshot()).length).toBeGreaterThanOrEqual(before.length);
        const { createCustomer } = await lead.ok<{ createCustomer: { id: string } }>('mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
          i: { name: `轮换中${i}`, phone: `1590000000${i}`, idNumber: '110101198501021234' },
        });
        created.push(createCustomer.id);
        await lead.ok('mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { id } }', { i: { id: before[i % before.length].id, address: `上海市徐汇区漕溪北路${i}号` } });
      }
      return created;
    })();
    const [result, created] = await Promise.all([rotate(masters), traffic]);
    expect(result.activeVersion).toBe(2);
    expect(result.retired).toEqual([1]);
    expect(result.reencrypted.flatMap((r) => r.failed)).toEqual([]);
    expect(await keys()).toEqual([{ version: 1, retired: true }, { version: 2, retired: false }]);
    expect(await versions()).toEqual(expect.arrayContaining([{ v: 2, n: before.length + 6 }]));
    expect((await versions()).filter((r) => r.v !== 2)).toEqual([]);

    const after = await snapshot();
    const addressWritten = new Map<string, string>();
    for (let i = 0; i < 6; i++) addressWritten.set(before[i % before.length].id, `上海市徐汇区漕溪北路${i}号`);
    for (const b of before) {
      expect(after.find((x) => x.id === b.id)).toEqual({ ...b, address: addressWritten.get(b.id) ?? b.address });
    }
    expect(after.filter((a) => created.includes(a.id)).map((a) => [a.phone, a.idNumber]).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [`1590000000${i}`, '110101198501021234']),
    );
    const ciphertextsAfter = await raw<{ id: string; ct: string }>(sql`select id::text as id, encode(phone_ct, 'hex') as ct from customers`);
    for (const { id, ct } of ciphertextsBefore) expect(ciphertextsAfter.find((c) => c.id === id)!.ct).not.toBe(ct);
    // The blind index was recomputed under the new key: lookups still find customers and contacts.
    expect((await lookup('13812345678')).customerByContact).toEqual([{ name: '张伟' }]);
    expect((await lookup('13698765432')).customerByContact).toEqual([{ name: '张伟' }]);
    expect((await lookup('15900000003')).customerByContact).toEqual([{ name: '轮换中3' }]);
  });

  it('re-wraps data keys under a new master key; the old master key alone then no longer starts the server', async () => {
    const oldKey = Buffer.from(TEST_MASTER_KEY, 'base64');
    const newKey = randomBytes(32);
    const result = await rotate(MasterKeys.of(newKey, [oldKey]), false);
    expect(result.rewrapped).toBe(2);
    const ids = await raw<{ id: string }>(sql`select distinct master_key_id as id from tenant_keys`);
    expect(ids).toEqual([{ id: MasterKeys.of(newKey).current.id }]);
    await expect(prepareEncryption(server.database.db, MasterKeys.of(oldKey), SEALED_TABLES)).rejects.toThrow(
      /Cannot unwrap data key version 1 of tenant "acme": .*not configured.*Start with the master key that wrapped it in WARDEN_MASTER_KEY/,
    );
    await prepareEncryption(server.database.db, MasterKeys.of(newKey), SEALED_TABLES);
    // As after a restart with only the new key: every customer still reads in full.
    const services = server.services as { masterKeys: MasterKeys };
    services.masterKeys = MasterKeys.of(newKey);
    try {
      const nodes = await snapshot();
      for (const c of DEMO_CUSTOMERS) expect(nodes.find((n) => n.name === c.name)).toMatchObject({ phone: c.phone, email: c.email, idNumber: c.idNumber });
      // Wrapping the data keys again under the old key brings back the state the other tests expect.
      await rotate(MasterKeys.of(oldKey, [newKey]), false);
    } finally {
      services.masterKeys = MasterKeys.of(oldKey);
    }
  });

  (process.env.TEST_DATABASE_URL ? it : it.skip)('npm run keys:rotate rotates a running server\'s database and reports what it did', async () => {
    const env = { ...process.env, NODE_ENV: 'development', DATABASE_URL: server.databaseUrl!, WARDEN_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'error' };
    const before = await snapshot();
    const cli = run('npm', ['run', '--silent', 'keys:rotate', '--', '--batch-size', '3'], { env });
    const reads: Node[][] = [];
    let done = false;
    void cli.finally(() => (done = true));
    while (!done) reads.push(await snapshot());
    const { stdout } = await cli;
    expect(stdout).toMatch(/^acme: re-wrapped 0 key\(s\); active data key v3; re-encrypted customers \d+, customer_contacts 2; retired v2$/m);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of [...reads, await snapshot()]) expect(r).toEqual(before);
    const wrong = await run('npm', ['run', '--silent', 'keys:rotate', '--', '--tenant', 'nope'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('No tenant "nope"') });
    const badKey = await run('npm', ['run', '--silent', 'keys:rotate'], { env: { ...env, WARDEN_MASTER_KEY: randomBytes(32).toString('base64') } }).catch((e: { code: number; stderr: string }) => e);
    expect(badKey).toMatchObject({ code: 1, stderr: expect.stringContaining('not configured') });
  }, SETUP_TIMEOUT);

  it('leaves a row whose ciphertext fails authentication as it is, reports it, and rotates the rest', async () => {
    const [victim] = await raw<{ id: string; v: number }>(sql`select id::text as id, pii_key_version as v from customers where name = '王芳'`);
    await raw(sql`update customers set email_ct = set_byte(email_ct, 30, (get_byte(email_ct, 30) + 1) % 256) where id = ${victim.id}::uuid`);
    const result = await rotate(server.services.masterKeys);
    expect(result.reencrypted.find((r) => r.table === 'customers')?.failed).toEqual([victim.id]);
    const stale = await raw<{ id: string; v: number }>(sql`select id::text as id, pii_key_version as v from customers where pii_key_version <> ${result.activeVersion}`);
    expect(stale).toEqual([victim]);
    // Readers still get everything else of that row, and the damaged field as an error.
    const r = await lead.request<{ customers: { edges: { node: Node }[] } }>(ALL);
    expect(r.data!.customers.edges.find((e) => e.node.name === '王芳')!.node).toMatchObject({ phone: '13900001111', email: null });
    expect(r.errors?.map((e) => e.path?.at(-1))).toEqual(['email']);
  });
});
