import type { Db } from '../../src/db/client';
import { withTenantTx } from '../../src/db/tenant-tx';
import { addArticles, addCustomers, addUser } from '../../src/db/seed/builders';
import { createTenant } from '../../src/db/seed/tenant';
import { testMasterKeys } from './server';

/** A second tenant with one user per given role, one customer and one article, for isolation tests. */
export async function seedOtherTenant(db: Db, slug = 'globex', roles = ['support_lead']) {
  const { tenantId, roleIds } = await createTenant(db, slug, `${slug} Inc.`);
  return withTenantTx(db, tenantId, async (tx) => {
    const userId = await addUser(tx, tenantId, { email: `lead@${slug}.test`, displayName: `${slug} lead`, password: 'warden-demo', roleIds: roles.map((r) => roleIds[r]) });
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
