import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * A refused or failed mutation leaves nothing half-written, and is itself audited as DENIED or FAILED
 * (docs/architecture.md, guarantee 6; src/modules/mutation.ts).
 */
const CREATE = 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id name } }';
const UPDATE = 'mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { id phone } }';

let server: TestServer;
let agent: GraphQLClient;
let lead: GraphQLClient;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.as('agent');
  lead = await server.as('lead');
});
afterAll(() => server.stop());

const db = <T>(query: ReturnType<typeof sql>) => withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<T>(tx, query));

const customerCount = async () => (await db<{ n: number }>(sql`select count(*)::int as n from customers`))[0].n;

type CustomerRow = { id: string; name: string; company: string | null; phone: string | null; email: string | null; updated_at: string };
const customerRows = () => db<CustomerRow>(sql`select id, name, company, phone, email, updated_at::text from customers order by id`);

const lastSeq = async () => (await db<{ seq: number | null }>(sql`select max(seq)::int as seq from audit_events`))[0].seq ?? 0;

type AuditRow = { action: string; outcome: string; field: string | null; detail: Record<string, unknown>; actor: string | null };
const auditSince = (seq: number) =>
  db<AuditRow>(sql`select e.action, e.outcome, e.field, e.detail, u.email as actor
                   from audit_events e left join users u on u.tenant_id = e.tenant_id and u.id = e.actor_id
                   where e.seq > ${seq} order by e.seq`);

/** Run a mutation that must be refused with `code`; return the audit events it produced. */
async function refused(client: GraphQLClient, query: string, variables: Record<string, unknown>, code: string) {
  const rowsBefore = await customerRows();
  const seq = await lastSeq();
  const r = await client.request(query, variables);
  expectNoStackTrace(r);
  expect(r.data ?? null).toBeNull();
  expect(r.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  expect(await customerRows()).toEqual(rowsBefore); // nothing inserted, nothing changed
  return auditSince(seq);
}

describe('createCustomer', () => {
  it('creates a customer for the lead, and audits it (control)', async () => {
    const before = await customerCount();
    const seq = await lastSeq();
    const r = await lead.request(CREATE, { i: { name: 'Control Customer', email: 'control@example.com' } });
    expect(r.errors).toBeUndefined();
    expect(await customerCount()).toBe(before + 1);
    expect(await auditSince(seq)).toEqual([expect.objectContaining({ action: 'customer.create', outcome: 'ALLOWED', actor: 'lead@acme.test' })]);
  });

  it('refuses the agent (no CUSTOMER_WRITE) with FORBIDDEN: no row, a DENIED audit event', async () => {
    const before = await customerCount();
    const audit = await refused(agent, CREATE, { i: { name: 'Sneaky Customer', email: 'sneaky@example.com' } }, 'FORBIDDEN');
    expect(await customerCount()).toBe(before);
    expect(audit).toEqual([expect.objectContaining({ action: 'access.denied', outcome: 'DENIED', field: 'createCustomer', actor: 'agent@acme.test' })]);
  });

  it.each([
    ['an invalid email', { name: 'Bad Email', email: 'not-an-email' }],
    ['an invalid phone', { name: 'Bad Phone', phone: '12; drop table customers' }],
    ['a blank name', { name: '   ' }],
    ['a name too long', { name: 'x'.repeat(101) }],
  ])('refuses the lead with %s as BAD_USER_INPUT: no row, a FAILED audit event without the value', async (_name, input) => {
    const before = await customerCount();
    const audit = await refused(lead, CREATE, { i: input }, 'BAD_USER_INPUT');
    expect(await customerCount()).toBe(before);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'customer.create', outcome: 'FAILED', actor: 'lead@acme.test', detail: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
    // The audit log must not become a copy of rejected personal data.
    for (const value of Object.values(input).filter((v) => v.trim() !== '')) expect(JSON.stringify(audit)).not.toContain(value);
  });

  it('refuses an anonymous caller with UNAUTHENTICATED and writes nothing', async () => {
    const before = await customerCount();
    const audit = await refused(server.client(), CREATE, { i: { name: 'Anonymous Customer' } }, 'UNAUTHENTICATED');
    expect(await customerCount()).toBe(before);
    expect(audit).toEqual([]); // no actor, no tenant: logged by the server, not in a tenant's audit chain
  });
});

describe('updateCustomer', () => {
  let target: CustomerRow;
  beforeAll(async () => {
    [target] = await customerRows();
  });

  it('refuses the agent with FORBIDDEN and leaves the row as it was', async () => {
    const audit = await refused(agent, UPDATE, { i: { id: toGlobalId('Customer', target.id), phone: '13000000000' } }, 'FORBIDDEN');
    expect(audit).toEqual([expect.objectContaining({ action: 'access.denied', outcome: 'DENIED', field: 'updateCustomer' })]);
  });

  it('refuses the lead an invalid change and leaves the row as it was, valid fields included', async () => {
    const audit = await refused(lead, UPDATE, { i: { id: toGlobalId('Customer', target.id), name: 'Renamed', email: 'broken@' } }, 'BAD_USER_INPUT');
    expect(audit).toEqual([expect.objectContaining({ action: 'customer.update', outcome: 'FAILED', detail: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });

  it('answers an unknown customer with NOT_FOUND and audits it as DENIED', async () => {
    const audit = await refused(lead, UPDATE, { i: { id: toGlobalId('Customer', '00000000-0000-4000-8000-000000000000'), name: 'Ghost' } }, 'NOT_FOUND');
    expect(audit).toEqual([expect.objectContaining({ action: 'customer.update', outcome: 'DENIED', detail: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
  });

  it('answers an id of another type with BAD_USER_INPUT', async () => {
    const audit = await refused(lead, UPDATE, { i: { id: toGlobalId('Article', target.id), name: 'Wrong type' } }, 'BAD_USER_INPUT');
    expect(audit).toEqual([expect.objectContaining({ action: 'customer.update', outcome: 'FAILED' })]);
  });
});
