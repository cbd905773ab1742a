import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { DEMO_CONTACTS, DEMO_CUSTOMERS } from '../../src/db/seed/demo';
import { prepareEncryption } from '../../src/crypto/startup';
import { SEALED_TABLES } from '../../src/modules/crm/customer.pii';
import { createTestServer, TEST_MASTER_KEY, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

const run = promisify(execFile);

/** Every demo value that must never be readable in the database. */
const SECRETS = [
  ...DEMO_CUSTOMERS.flatMap((c) => [c.phone, c.email, c.idNumber, c.address]),
  ...DEMO_CONTACTS.flatMap((c) => [c.phone, c.email]),
].filter((v): v is string => !!v);

type CustomerNode = { id: string; name: string; phone: string | null; email: string | null; idNumber: string | null; address: string | null };
type Page = { customers: { edges: { node: CustomerNode }[] } };
const ALL = '{ customers(first: 50) { edges { node { id name phone email idNumber address } } } }';

describe('customer data is encrypted at rest', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
    await seedOtherTenant(server.database.db);
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  const raw = <T>(query: ReturnType<typeof sql>, tenantId: string | null = server.tenantId) =>
    withTenantTx(server.database.db, tenantId, (tx) => queryRows<T>(tx, query));
  const zhang = async () => (await raw<{ id: string }>(sql`select id::text as id from customers where name = '张伟'`))[0].id;

  it('stores no readable phone, e-mail, ID number or address (a raw SELECT of every column)', async () => {
    const rows = await raw<{ row: string }>(sql`select c::text as row from customers c union all select k::text from customer_contacts k`);
    expect(rows.length).toBe(DEMO_CUSTOMERS.length + DEMO_CONTACTS.length);
    const dump = rows.map((r) => r.row).join('\n');
    expect(dump).toContain('张伟'); // names are not encrypted: the check itself reads the right rows
    for (const secret of SECRETS) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret, 'utf8').toString('hex'));
    }
    const sealed = await raw<{ version: number; format: number; phone: string | null }>(
      sql`select pii_key_version as version, get_byte(phone_ct, 0) as format, phone from customers`,
    );
    expect(sealed.every((r) => r.version === 1 && r.format === 1 && r.phone === null)).toBe(true);
  });

  it('still shows the lead everything in full, and the agent masks, for ID number and address too', async () => {
    const lead = await server.as('lead');
    const full = (await lead.ok<Page>(ALL)).customers.edges.map((e) => e.node);
    for (const c of DEMO_CUSTOMERS) {
      expect(full.find((n) => n.name === c.name)).toMatchObject({ phone: c.phone, email: c.email, idNumber: c.idNumber, address: c.address });
    }
    const agent = await server.as('agent');
    const masked = (await agent.ok<Page>(ALL)).customers.edges.map((e) => e.node);
    expect(masked.find((n) => n.name === '张伟')).toMatchObject({
      phone: '138****5678',
      email: 'z***@example.com',
      idNumber: '110101********1234',
      address: '北京市***',
    });
    expect(masked.find((n) => n.name === '李静')?.address).toBe('广东省深圳市***');
  });

  it('shows contacts with the same masks', async () => {
    const q = '{ customers(first: 50) { edges { node { name contacts { name title phone email } } } } }';
    const agent = await server.as('agent');
    const nodes = (await agent.ok<{ customers: { edges: { node: { name: string; contacts: unknown[] } }[] } }>(q)).customers.edges.map((e) => e.node);
    expect(nodes.find((n) => n.name === '张伟')?.contacts).toEqual([{ name: '陈静', title: '财务经理', phone: '136****5432', email: 'c***@example.com' }]);
    const lead = await server.as('lead');
    const full = (await lead.ok<{ customers: { edges: { node: { name: string; contacts: { phone: string }[] } }[] } }>(q)).customers.edges.map((e) => e.node);
    expect(full.find((n) => n.name === '张伟')?.contacts[0].phone).toBe('13698765432');
    // node() answers for contacts and teams through the same loaders and policy.
    const ids = await agent.ok<{ customers: { edges: { node: { name: string; team: { id: string }; contacts: { id: string }[] } }[] } }>(
      '{ customers(first: 50) { edges { node { name team { id } contacts { id } } } } }',
    );
    const z = ids.customers.edges.find((e) => e.node.name === '张伟')!.node;
    const q2 = 'query($c: ID!, $t: ID!) { c: node(id: $c) { ... on CustomerContact { name phone } } t: node(id: $t) { ... on Team { name } } }';
    expect(await agent.ok(q2, { c: z.contacts[0].id, t: z.team.id })).toEqual({ c: { name: '陈静', phone: '136****5432' }, t: { name: 'Support East' } });
    const analyst = await server.as('analyst');
    expect((await analyst.ok<{ c: unknown }>(q2, { c: z.contacts[0].id, t: z.team.id })).c).toBeNull();
  });

  it('refuses a ciphertext moved to another row: an error for that field, logged and audited, never a wrong value', async () => {
    const [from, to] = await raw<{ id: string; name: string }>(sql`select id::text as id, name from customers where name in ('张伟', '王芳') order by name desc`);
    expect([from.name, to.name]).toEqual(['王芳', '张伟']);
    // An attacker with write access to the table copies 王芳's phone ciphertext onto 张伟's row.
    await raw(sql`update customers set phone_ct = (select phone_ct from customers where id = ${from.id}::uuid) where id = ${to.id}::uuid`);
    for (const user of ['lead', 'agent']) {
      const client = await server.as(user);
      const r = await client.request<Page>(ALL);
      const node = r.data!.customers.edges.find((e) => e.node.name === '张伟')!.node;
      expect(node.phone).toBeNull();
      expect(node.email).toBe(user === 'lead' ? 'zhang.wei@example.com' : 'z***@example.com');
      expect(r.data!.customers.edges.find((e) => e.node.name === '王芳')!.node.phone).toBe(user === 'lead' ? '13900001111' : '139****1111');
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]).toMatchObject({ message: 'Internal server error', path: ['customers', 'edges', expect.any(Number), 'node', 'phone'] });
      expect(r.errors![0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', correlationId: expect.any(String), requestId: expect.any(String) });
    }
    const events = await raw<{ outcome: string; field: string; ids: string[] }>(
      sql`select outcome, field, resource_ids::text[] as ids from audit_events where action = 'pii.decrypt_failed'`,
    );
    expect(events).toEqual([
      { outcome: 'FAILED', field: 'phone', ids: [to.id] },
      { outcome: 'FAILED', field: 'phone', ids: [to.id] },
    ]);
  });

  it('lets a writer replace the damaged field, and reads it again', async () => {
    const lead = await server.as('lead');
    const id = Buffer.from(`Customer:${await zhang()}`).toString('base64url');
    const r = await lead.ok<{ updateCustomer: { phone: string; email: string } }>(
      'mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { phone email } }',
      { i: { id, phone: '13812345678' } },
    );
    expect(r.updateCustomer).toEqual({ phone: '13812345678', email: 'zhang.wei@example.com' });
  });

  it('refuses a tampered ciphertext the same way', async () => {
    await raw(sql`update customers set id_number_ct = set_byte(id_number_ct, 20, (get_byte(id_number_ct, 20) + 1) % 256) where name = '李静'`);
    const lead = await server.as('lead');
    const r = await lead.request<Page>(ALL);
    expect(r.data!.customers.edges.find((e) => e.node.name === '李静')!.node).toMatchObject({ idNumber: null, phone: '18611112222' });
    expect(r.errors?.map((e) => [e.path?.at(-1), e.extensions?.code])).toEqual([['idNumber', 'INTERNAL_SERVER_ERROR']]);
  });

  it('seals plaintext left from before encryption at start-up, and empties those columns', async () => {
    await raw(sql`insert into customers (tenant_id, name, phone, email) values (${server.tenantId}::uuid, '旧客户', '13011112222', 'old.customer@example.com')`);
    await prepareEncryption(server.database.db, server.services.masterKeys, SEALED_TABLES);
    const [row] = await raw<{ phone: string | null; email: string | null; version: number; sealed: boolean }>(
      sql`select phone, email, pii_key_version as version, phone_ct is not null and email_bidx is not null as sealed from customers where name = '旧客户'`,
    );
    expect(row).toEqual({ phone: null, email: null, version: 1, sealed: true });
    const lead = await server.as('lead');
    const found = await lead.ok<{ customerByContact: { name: string; phone: string }[] }>('{ customerByContact(email: "OLD.customer@example.com") { name phone } }');
    expect(found.customerByContact).toEqual([{ name: '旧客户', phone: '13011112222' }]);
  });

  it('refuses to store plaintext in a sealed row (database check)', async () => {
    await expect(raw(sql`update customers set phone = '13812345678' where name = '张伟'`)).rejects.toThrow();
  });

  it('lets the other tenant read only its own customer, decrypted under its own key', async () => {
    const keys = await raw<{ n: number }>(sql`select count(*)::int as n from tenant_keys`, null);
    expect(keys[0].n).toBe(0); // no tenant context, no key rows (RLS)
    const globex = await server.client().login('lead@globex.test', DEMO_PASSWORD, 'globex');
    const { customers } = await globex.ok<Page>(ALL);
    expect(customers.edges.map((e) => [e.node.name, e.node.phone])).toEqual([['赵敏', '13700007777']]);
  });

  (process.env.TEST_DATABASE_URL ? it : it.skip)('leaves no demo phone, e-mail, ID number or address in a pg_dump of a database seeded by npm run seed:demo', async () => {
    const fresh = await createTestServer({ seed: false });
    try {
      const env = { ...process.env, NODE_ENV: 'development', DATABASE_URL: fresh.databaseUrl!, WARDEN_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'error' };
      const seeded = await run('npm', ['run', '--silent', 'seed:demo'], { env, cwd: process.cwd() });
      expect(seeded.stdout).toContain('Seeded tenant "acme"');
      const { stdout: dump } = await run('pg_dump', ['--no-owner', fresh.databaseUrl!], { maxBuffer: 64 * 1024 * 1024 });
      expect(dump).toContain('COPY public.customers');
      expect(dump).toContain('张伟');
      for (const secret of SECRETS) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(Buffer.from(secret, 'utf8').toString('hex')); // bytea is dumped as hex
      }
      // ...which the lead still reads in full through the API.
      const lead = await fresh.as('lead');
      const nodes = (await lead.ok<Page>(ALL)).customers.edges.map((e) => e.node);
      for (const c of DEMO_CUSTOMERS) expect(nodes.find((n) => n.name === c.name)).toMatchObject({ phone: c.phone, email: c.email });
    } finally {
      await fresh.stop();
    }
  }, SETUP_TIMEOUT);
});
