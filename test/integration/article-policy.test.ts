import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { CLASSIFICATIONS, ROLE_CLEARANCES, type Permission } from '../../src/authz/permissions';
import { can } from '../../src/authz/policy';
import { canReadArticleVersion } from '../../src/authz/predicates';
import type { Viewer } from '../../src/authz/viewer';
import { queryRows } from '../../src/db/rows';
import { addArticles } from '../../src/db/seed/builders';
import { withTenantTx } from '../../src/db/tenant-tx';
import { articlesByIds } from '../../src/modules/knowledge/article.repo';
import { versionsByIds } from '../../src/modules/knowledge/version.repo';
import { ARTICLE_STATUSES } from '../../src/modules/knowledge/workflow';
import { createTestServer, type TestServer } from '../testkit/server';

/** One policy, two uses: the SQL predicates return exactly the rows `can` allows, for any viewer. */
describe('article policy: can() and the SQL predicates agree', () => {
  let server: TestServer;
  let rows: { id: string; classification: string; status: string }[];
  let versions: { id: string; articleId: string; classification: string }[];
  beforeAll(async () => {
    server = await createTestServer();
    await withTenantTx(server.database.db, server.tenantId, async (tx) => {
      // Every classification in every status, beside the demo articles.
      await addArticles(
        tx,
        server.tenantId,
        CLASSIFICATIONS.flatMap((classification) => ARTICLE_STATUSES.map((status) => ({ title: `${classification} ${status}`, body: 'x', classification, status }))),
      );
      rows = await queryRows(tx, sql`select id, classification, status from articles`);
      // A version whose classification differs from its article's (declassified since).
      await tx.execute(sql`insert into article_versions (tenant_id, article_id, version, change, title, body, classification, status, kind)
        select tenant_id, id, 2, 'UPDATED', title, body, 'CONFIDENTIAL', status, kind from articles where classification = 'INTERNAL'`);
      versions = await queryRows(tx, sql`select id, article_id as "articleId", classification from article_versions`);
    });
  });
  afterAll(() => server.stop());

  // One to three tenant-wide roles: permissions add up across them (READ from one, WRITE from another).
  const roleArb = fc.record({
    permissions: fc.subarray(['ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_PUBLISH', 'CUSTOMER_READ'] as Permission[]),
    clearance: fc.constantFrom(...ROLE_CLEARANCES),
  });
  const viewerArb = fc.array(roleArb, { minLength: 1, maxLength: 3 });
  const viewerOf = (roles: { permissions: Permission[]; clearance: (typeof ROLE_CLEARANCES)[number] }[]): Viewer => ({
    tenantId: server.tenantId, userId: '00000000-0000-4000-8000-000000000000', sessionId: '00000000-0000-4000-8000-000000000000',
    email: 'x@acme.test', permissions: new Set(roles.flatMap((r) => r.permissions)), clearance: roles[0].clearance, roleKeys: ['r'], teamIds: [], grants: [], at: new Date(),
    assignments: roles.map((r, i) => ({ id: `a${i}`, roleId: `r${i}`, roleKey: `r${i}`, permissions: new Set(r.permissions), clearance: r.clearance, scope: { type: 'TENANT' } })),
  });

  it('for articles', async () => {
    await fc.assert(
      fc.asyncProperty(viewerArb, async (v) => {
        const viewer = viewerOf(v);
        const fetched = await withTenantTx(server.database.db, server.tenantId, (tx) => articlesByIds(tx, viewer, rows.map((r) => r.id)));
        const allowed = rows.filter((r) => can(viewer, 'ARTICLE_READ', { type: 'Article', id: r.id, classification: r.classification, status: r.status }));
        expect(fetched.map((r) => r.id).sort()).toEqual(allowed.map((r) => r.id).sort());
      }),
      { numRuns: 40 },
    );
  });

  it('for article versions', async () => {
    const byId = new Map(rows.map((r) => [r.id, r]));
    await fc.assert(
      fc.asyncProperty(viewerArb, async (v) => {
        const viewer = viewerOf(v);
        const fetched = await withTenantTx(server.database.db, server.tenantId, (tx) => versionsByIds(tx, viewer, versions.map((r) => r.id)));
        const allowed = versions.filter((r) => canReadArticleVersion(viewer, { type: 'Article', ...byId.get(r.articleId)! }, r.classification));
        expect(fetched.map((r) => r.id).sort()).toEqual(allowed.map((r) => r.id).sort());
      }),
      { numRuns: 40 },
    );
  });
});
