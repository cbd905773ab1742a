import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { createTestServer, type TestServer } from '../testkit/server';

const CUSTOMERS = '{ customers(first: 10) { edges { node { id name phone email } } } }';

describe('demo users and customer PII (issue 2, done-when)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const auditRows = () =>
    withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ action: string; field: string | null; outcome: string; detail: { mode?: string; count?: number }; ids: number; actor: string }>(
        tx,
        sql`select e.action, e.field, e.outcome, e.detail, cardinality(e.resource_ids) as ids, u.email as actor
            from audit_events e left join users u on u.tenant_id = e.tenant_id and u.id = e.actor_id order by e.seq`,
      ),
    );

  it('shows the agent masked phones and emails', async () => {
    const agent = await server.as('agent');
    const { customers } = await agent.ok<{ customers: { edges: { node: { name: string; phone: string; email: string } }[] } }>(CUSTOMERS);
    const zhang = customers.edges.find((e) => e.node.name === '张伟')!.node;
    expect(zhang.phone).toBe('138****5678');
    expect(zhang.email).toBe('z***@example.com');
    for (const { node } of customers.edges) expect(node.phone).toMatch(/\*{4}/);
  });

  it('shows the lead full phones and emails', async () => {
    const lead = await server.as('lead');
    const { customers } = await lead.ok<{ customers: { edges: { node: { name: string; phone: string; email: string } }[] } }>(CUSTOMERS);
    const zhang = customers.edges.find((e) => e.node.name === '张伟')!.node;
    expect(zhang.phone).toBe('13812345678');
    expect(zhang.email).toBe('zhang.wei@example.com');
  });

  it('refuses the analyst customer data altogether', async () => {
    const analyst = await server.as('analyst');
    const r = await analyst.request(CUSTOMERS);
    expect(r.data).toBeNull();
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const single = await analyst.request('{ customer(id: "Q3VzdG9tZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw") { name } }');
    expect(single.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('records those reads, masked and full, and the refusal in the audit table', async () => {
    const rows = await auditRows();
    const reads = rows.filter((r) => r.action === 'sensitive.read');
    expect(reads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'agent@acme.test', field: 'phone', outcome: 'ALLOWED', ids: 5, detail: { mode: 'MASKED', count: 5 } }),
        expect.objectContaining({ actor: 'agent@acme.test', field: 'email', detail: { mode: 'MASKED', count: 5 } }),
        expect.objectContaining({ actor: 'lead@acme.test', field: 'phone', detail: { mode: 'FULL', count: 5 } }),
      ]),
    );
    expect(rows).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'analyst@acme.test', action: 'access.denied', outcome: 'DENIED', field: 'customers' })]));
    expect(rows.filter((r) => r.action === 'auth.login' && r.outcome === 'ALLOWED')).toHaveLength(3);
  });
});
