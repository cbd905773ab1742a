import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { can } from '../../src/authz/policy';
import { customerReadPredicate, feedbackReadPredicate, statsPredicate, ticketReadPredicate } from '../../src/authz/predicates';
import { PERMISSIONS, type Permission } from '../../src/authz/permissions';
import type { Viewer } from '../../src/authz/viewer';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate';
import { queryRows } from '../../src/db/rows';
import { customerFeedback, customers, tickets } from '../../src/db/schema';
import { withTenantTx } from '../../src/db/tenant-tx';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

describe('the CRM policy: can() and the SQL predicates agree', () => {
  let server: TestServer;
  let otherTenant: string;
  beforeAll(async () => {
    server = await createTestServer();
    otherTenant = (await seedOtherTenant(server.database.db)).tenantId;
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  const viewerWith = (tenantId: string, permissions: Permission[]): Viewer => ({
    tenantId, userId: '00000000-0000-4000-8000-000000000000', sessionId: '00000000-0000-4000-8000-000000000001',
    email: 'x@acme.test', permissions: new Set(permissions), clearance: 'INTERNAL', roleKeys: ['r'], teamIds: [], grants: [], at: new Date(),
    assignments: [{ id: 'a', roleId: 'r', roleKey: 'r', permissions: new Set(permissions), clearance: 'INTERNAL', scope: { type: 'TENANT' } }],
  });
  const READ = { Customer: 'CUSTOMER_READ', Ticket: 'TICKET_READ', Feedback: 'FEEDBACK_READ' } as const;

  it('shows rows through a predicate exactly when can() allows the resource type, never another tenant\'s', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray([...PERMISSIONS]), fc.boolean(), async (permissions, asOther) => {
        const viewer = viewerWith(asOther ? otherTenant : server.tenantId, permissions);
        // The database runs as the request tenant; a viewer claiming another tenant must see nothing.
        const counts = await withTenantTx(server.database.db, server.tenantId, async (tx) => ({
          Customer: await tx.$count(customers, customerReadPredicate(viewer)),
          Ticket: await tx.$count(tickets, ticketReadPredicate(viewer)),
          Feedback: await tx.$count(customerFeedback, feedbackReadPredicate(viewer)),
          Stats: await tx.$count(customerFeedback, statsPredicate(viewer)),
        }));
        for (const type of ['Customer', 'Ticket', 'Feedback'] as const) {
          expect(counts[type] > 0).toBe(can(viewer, READ[type], { type, id: '00000000-0000-4000-8000-0000000000ff' }) && !asOther);
        }
        expect(counts.Stats > 0).toBe(permissions.includes('STATS_READ') && !asOther);
      }),
      { numRuns: 25 },
    );
  }, SETUP_TIMEOUT);

  it('migration 0007 adds the new permissions to existing built-in roles and keeps what an administrator changed', async () => {
    const role = (key: string) =>
      withTenantTx(server.database.db, server.tenantId, async (tx) => (await queryRows<{ p: string[] }>(tx, sql`select permissions as p from roles where key = ${key}`))[0].p);
    await withTenantTx(server.database.db, server.tenantId, (tx) =>
      tx.execute(sql`update roles set permissions = array['ARTICLE_READ','CUSTOMER_READ','PII_READ_MASKED','AUDIT_READ'] where key = 'support_agent'`),
    );
    const file = fs.readdirSync(MIGRATIONS_FOLDER).find((f) => f.startsWith('0007_'))!;
    for (const statement of fs.readFileSync(path.join(MIGRATIONS_FOLDER, file), 'utf8').split('--> statement-breakpoint')) {
      await server.database.db.execute(sql.raw(statement));
    }
    expect(await role('support_agent')).toEqual(['ARTICLE_READ', 'AUDIT_READ', 'CUSTOMER_READ', 'FEEDBACK_WRITE', 'PII_READ_MASKED', 'TICKET_READ', 'TICKET_WRITE']);
    expect(await role('support_lead')).toEqual(expect.arrayContaining(['FEEDBACK_READ', 'STATS_READ', 'TICKET_READ']));
    expect(await role('sales')).not.toContain('TICKET_READ');
  });
});
