import fc from 'fast-check';
import { and } from 'drizzle-orm';
import { can, predicate } from '../../src/authz/policy';
import { RESOURCE_TYPES } from '../../src/authz/resources';
import { PERMISSIONS, ROLE_CLEARANCES, CLASSIFICATIONS, type Permission } from '../../src/authz/permissions';
import type { DecisionState, Scope } from '../../src/authz/viewer';
import { articles, customers } from '../../src/db/schema';
import type { Database } from '../../src/db/client';
import { withTenantTx } from '../../src/db/tenant-tx';
import { addArticles, addCustomers, addUser } from '../../src/db/seed/builders';
import { createTenant } from '../../src/db/seed/tenant';
import { createTestDatabase } from '../testkit/database';
import { testMasterKeys } from '../testkit/server';

/**
 * Guarantee 3 of the architecture: for random users, roles, scopes and grants (some expired), the SQL
 * predicate returns exactly the rows for which `can()` is true — for articles (classification, own
 * records, grants on RESTRICTED) and customers (own records, grants).
 */
describe('policy: SQL predicates and can() agree on random data', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: Database;
  let tenantId: string;
  let userIds: string[];
  let articleRows: { id: string; classification: string; status: string; authorId: string | null }[];
  let customerRows: { id: string; ownerId: string | null }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    database = db.database;
    ({ tenantId } = await createTenant(database.db, 'prop', 'Property'));
    const rand = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 200, seed: 42 });
    await withTenantTx(database.db, tenantId, async (tx) => {
      userIds = [];
      for (let i = 0; i < 4; i++) userIds.push(await addUser(tx, tenantId, { email: `u${i}@prop.test`, displayName: `u${i}`, password: 'x-long-password', roleIds: [] }));
      const pick = <T>(xs: readonly T[], n: number) => xs[rand[n] % xs.length];
      await addArticles(tx, tenantId, Array.from({ length: 40 }, (_, i) => ({
        title: `a${i}`, body: 'b', classification: pick(CLASSIFICATIONS, i), status: i % 3 === 0 ? 'DRAFT' : 'PUBLISHED', authorId: i % 5 === 0 ? null : pick(userIds, i + 50),
      })));
      await addCustomers(tx, tenantId, Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, ownerId: i % 4 === 0 ? null : pick(userIds, i + 100) })), testMasterKeys());
      articleRows = await tx.select({ id: articles.id, classification: articles.classification, status: articles.status, authorId: articles.authorId }).from(articles);
      customerRows = await tx.select({ id: customers.id, ownerId: customers.ownerId }).from(customers);
    });
  });
  afterAll(() => db.drop());

  const at = new Date();
  const scope = fc.constantFrom<Scope>({ type: 'TENANT' }, { type: 'OWN' }, { type: 'TEAM', id: '00000000-0000-4000-8000-000000000001' });
  const state = (resourceIds: () => string[], type: string) =>
    fc.record({
      user: fc.integer({ min: 0, max: 3 }),
      assignments: fc.array(
        fc.record({ permissions: fc.subarray([...PERMISSIONS]), clearance: fc.constantFrom(...ROLE_CLEARANCES), scope }),
        { maxLength: 3 },
      ),
      grants: fc.array(
        fc.record({
          resource: fc.integer({ min: 0, max: 1000 }),
          permission: fc.constantFrom<Permission>('ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_PUBLISH', 'CUSTOMER_READ', 'PII_READ_FULL'),
          // Some grants expired a moment ago, some expire a moment from now.
          offsetSeconds: fc.integer({ min: -3600, max: 3600 }).filter((s) => s !== 0),
          via: fc.constantFrom('USER' as const, 'TEAM' as const, 'ROLE' as const),
        }),
        { maxLength: 6 },
      ),
    }).map(
      (r): DecisionState => {
        const assignments = r.assignments.map((a, i) => ({ id: `a${i}`, roleId: `r${i}`, roleKey: `r${i}`, permissions: new Set(a.permissions), clearance: a.clearance, scope: a.scope }));
        return {
          tenantId,
          userId: userIds[r.user],
          assignments,
          grants: r.grants.map((g, i) => {
            const ids = resourceIds();
            return { id: `g${i}`, resourceType: type, resourceId: ids[g.resource % ids.length], permission: g.permission, expiresAt: new Date(at.getTime() + g.offsetSeconds * 1000), via: g.via };
          }),
          teamIds: [],
          at,
          permissions: new Set(assignments.flatMap((a) => [...a.permissions])),
          clearance: 'PUBLIC',
        };
      },
    );

  let partial = 0;
  beforeEach(() => (partial = 0));

  it('articles: ARTICLE_READ and ARTICLE_WRITE', async () => {
    await fc.assert(
      fc.asyncProperty(state(() => articleRows.map((a) => a.id), 'Article'), fc.constantFrom<Permission>('ARTICLE_READ', 'ARTICLE_WRITE'), async (s, permission) => {
        const inSql = await withTenantTx(database.db, tenantId, (tx) =>
          tx.select({ id: articles.id }).from(articles).where(and(predicate(s, permission, RESOURCE_TYPES.Article.columns))),
        );
        const inJs = articleRows.filter((a) => can(s, permission, RESOURCE_TYPES.Article.fromRow(a))).map((a) => a.id);
        expect(inSql.map((r) => r.id).sort()).toEqual(inJs.sort());
        if (inJs.length > 0 && inJs.length < articleRows.length) partial++;
      }),
      { numRuns: 150, seed: 7 },
    );
    // The property is only worth something if most cases allow some rows and refuse others.
    expect(partial).toBeGreaterThan(30);
  });

  it('customers: CUSTOMER_READ and PII_READ_FULL', async () => {
    await fc.assert(
      fc.asyncProperty(state(() => customerRows.map((c) => c.id), 'Customer'), fc.constantFrom<Permission>('CUSTOMER_READ', 'PII_READ_FULL'), async (s, permission) => {
        const inSql = await withTenantTx(database.db, tenantId, (tx) =>
          tx.select({ id: customers.id }).from(customers).where(predicate(s, permission, RESOURCE_TYPES.Customer.columns)),
        );
        const inJs = customerRows.filter((c) => can(s, permission, RESOURCE_TYPES.Customer.fromRow(c))).map((c) => c.id);
        expect(inSql.map((r) => r.id).sort()).toEqual(inJs.sort());
        if (inJs.length > 0 && inJs.length < customerRows.length) partial++;
      }),
      { numRuns: 150, seed: 11 },
    );
    expect(partial).toBeGreaterThan(30);
  });

  it('never lets a role clear RESTRICTED', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROLE_CLEARANCES), (clearance) => {
        const s: DecisionState = {
          tenantId, userId: 'u', at, teamIds: [], grants: [], clearance,
          permissions: new Set(['ARTICLE_READ']),
          assignments: [{ id: 'a', roleId: 'r', roleKey: 'r', permissions: new Set(['ARTICLE_READ']), clearance, scope: { type: 'TENANT' } }],
        };
        return !can(s, 'ARTICLE_READ', { type: 'Article', id: 'x', classification: 'RESTRICTED' });
      }),
    );
  });
});
