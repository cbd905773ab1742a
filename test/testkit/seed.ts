import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { addArticles, addCategory, addCustomers, addSpace, addUser } from '../../src/db/seed/builders';
import { createTenant } from '../../src/db/seed/tenant';
import { toGlobalId } from '../../src/lib/global-id';
import { testMasterKeys } from './server';

/** A second tenant with one user per given role, one customer and one article, for isolation tests. */
export async function seedOtherTenant(db: Db, slug = 'globex', roles = ['support_lead']) {
  const { tenantId, roleIds } = await createTenant(db, slug, `${slug} Inc.`);
  return withTenantTx(db, tenantId, async (tx) => {
    const userId = await addUser(tx, tenantId, { email: `lead@${slug}.test`, displayName: `${slug} lead`, password: DEMO_PASSWORD, roleIds: roles.map((r) => roleIds[r]) });
    const [customer] = await addCustomers(tx, tenantId, [{ name: '赵敏', phone: '13700007777', email: 'zhao.min@globex.test', ownerId: userId }], testMasterKeys());
    const [article] = await addArticles(tx, tenantId, [{ title: `${slug} internal handbook`, body: 'Only for globex.', classification: 'INTERNAL', status: 'PUBLISHED' }]);
    return { tenantId, userId, customerId: customer.id, articleId: article.id, email: `lead@${slug}.test` };
  });
}

/** The database's own message for a failed statement (drizzle wraps it as the error's cause). */
export async function dbFailure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return `${e.message} | ${e.cause?.message ?? ''}`;
  }
  throw new Error('expected the statement to fail');
}

/**
 * A space whose articles all have the same shape (a category with a parent, tags, an owner team, a
 * version, the same search words), for tests that compare statement counts between page sizes: with
 * mixed data a smaller page may simply not need a relation that a larger one does.
 */
export async function seedUniformKnowledge(db: Db, tenantId: string, opts: { categories: number; articlesPerCategory: number }) {
  return withTenantTx(db, tenantId, async (tx) => {
    const [author] = await queryRows<{ id: string }>(tx, sql`select id from users where email = 'lead@acme.test'`);
    const [team] = await queryRows<{ id: string }>(tx, sql`select id from teams where name = 'Support East'`);
    const spaceId = await addSpace(tx, tenantId, { key: 'UNIFORM', name: 'Uniform space', defaultClassification: 'INTERNAL', ownerTeamId: team.id });
    const rootId = await addCategory(tx, tenantId, { spaceId, name: 'Uniform root' });
    const categoryIds: string[] = [];
    for (let c = 0; c < opts.categories; c++) {
      const categoryId = await addCategory(tx, tenantId, { spaceId, parentId: rootId, name: `Uniform ${c}` });
      categoryIds.push(categoryId);
      await addArticles(
        tx,
        tenantId,
        Array.from({ length: opts.articlesPerCategory }, (_, i) => ({
          title: `Uniformword 统一测试 ${c}-${i}`,
          body: '统一测试的正文 uniformword。',
          classification: 'INTERNAL',
          status: 'PUBLISHED',
          spaceId,
          categoryId,
          ownerTeamId: team.id,
          authorId: author.id,
          tags: ['uniform', `u${c}`],
        })),
      );
    }
    return { spaceId, rootId, categoryIds };
  });
}

/** Global ids of the tenant's rows by a readable name, for tests: `kinds` maps a type to "name, id" SQL. */
export async function globalIdsByName(db: Db, tenantId: string, kinds: ('Customer' | 'Team' | 'Ticket' | 'User' | 'Article')[]): Promise<Record<string, string>> {
  const source = {
    Customer: sql`select 'Customer' as kind, name, id::text from customers`,
    Team: sql`select 'Team' as kind, name, id::text from teams`,
    Ticket: sql`select 'Ticket' as kind, subject as name, id::text from tickets`,
    User: sql`select 'User' as kind, email as name, id::text from users`,
    Article: sql`select 'Article' as kind, title as name, id::text from articles`,
  };
  const rows = await withTenantTx(db, tenantId, (tx) => queryRows<{ kind: string; name: string; id: string }>(tx, sql.join(kinds.map((k) => source[k]), sql` union all `)));
  return Object.fromEntries(rows.map((r) => [r.name, toGlobalId(r.kind, r.id)]));
}
