import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../client';
import { articles, articleTags, articleVersions, categories, customerContacts, customerFeedback, customers, roleAssignments, spaces, tags as tagTable, teamMembers, teams, ticketArticles, tickets, users } from '../schema';
import { hashPassword } from '../../authn/passwords';
import { activeKeyForWrite } from '../../crypto/keyring';
import type { MasterKeys } from '../../crypto/master-key';
import { sealFields } from '../../crypto/sealed-fields';
import { CONTACT_PII, contactPiiColumns, CUSTOMER_PII, customerPiiColumns } from '../../modules/crm/customer.pii';
import { searchColumns } from '../../modules/knowledge/article.repo';
import { changedFields, stateOf } from '../../modules/knowledge/article.input';
import { searchDocument } from '../../modules/knowledge/search-text';
import { setArticleTags } from '../../modules/knowledge/tag.repo';

/** Small builders for seeds and tests; each takes a tenant transaction. */
export async function addUser(tx: Tx, tenantId: string, u: { email: string; displayName: string; password: string; roleIds: string[]; status?: string }) {
  const [row] = await tx
    .insert(users)
    .values({ tenantId, email: u.email.toLowerCase(), displayName: u.displayName, passwordHash: await hashPassword(u.password), status: u.status ?? 'ACTIVE' })
    .returning({ id: users.id });
  if (u.roleIds.length) await tx.insert(roleAssignments).values(u.roleIds.map((roleId) => ({ tenantId, userId: row.id, roleId })));
  return row.id;
}

export async function addTeam(tx: Tx, tenantId: string, name: string, memberIds: string[], leadUserId?: string) {
  const [row] = await tx.insert(teams).values({ tenantId, name, leadUserId }).returning({ id: teams.id });
  if (memberIds.length) await tx.insert(teamMembers).values(memberIds.map((userId) => ({ tenantId, teamId: row.id, userId })));
  return row.id;
}

type SeedArticle = Omit<typeof articles.$inferInsert, 'tenantId' | 'searchVector' | 'searchBody'> & { tags?: string[] };

/** Articles as the API writes them: searchable (jieba-segmented vectors), tagged, with version 1 in their history. */
export async function addArticles(tx: Tx, tenantId: string, rows: SeedArticle[]) {
  const out: { id: string; title: string }[] = [];
  for (const { tags = [], ...a } of rows) {
    const [row] = await tx
      .insert(articles)
      .values({ ...a, tenantId, version: 1, ...searchColumns(searchDocument({ title: a.title, body: a.body, tags })) })
      .returning();
    await setArticleTags(tx, tenantId, row.id, tags);
    const state = stateOf(row, tags);
    await tx.insert(articleVersions).values({
      tenantId, articleId: row.id, version: 1, change: 'CREATED', changedFields: changedFields(null, state), ...state, editedBy: row.authorId,
    });
    out.push({ id: row.id, title: row.title });
  }
  return out;
}

/**
 * The same rows as addArticles (search vector, tags, version 1), written with one multi-row statement per
 * table: for generated datasets, where thousands of articles per transaction are the point.
 */
export async function addArticlesBulk(tx: Tx, tenantId: string, rows: SeedArticle[]) {
  if (rows.length === 0) return [];
  const inserted = await tx
    .insert(articles)
    .values(rows.map(({ tags = [], ...a }) => ({ ...a, tenantId, version: 1, ...searchColumns(searchDocument({ title: a.title, body: a.body, tags })) })))
    .returning();
  // RETURNING follows VALUES order for a plain INSERT; match by position.
  const tagsOf = rows.map((r) => r.tags ?? []);
  const names = [...new Set(tagsOf.flat())];
  if (names.length) {
    await tx.insert(tagTable).values(names.map((name) => ({ tenantId, name }))).onConflictDoNothing();
    const ids = new Map(
      (await tx.select({ id: tagTable.id, name: tagTable.name }).from(tagTable).where(and(eq(tagTable.tenantId, tenantId), inArray(tagTable.name, names)))).map((t) => [t.name, t.id]),
    );
    const links = inserted.flatMap((row, i) => [...new Set(tagsOf[i])].map((name) => ({ tenantId, articleId: row.id, tagId: ids.get(name)! })));
    if (links.length) await tx.insert(articleTags).values(links);
  }
  await tx.insert(articleVersions).values(
    inserted.map((row, i) => {
      const state = stateOf(row, tagsOf[i]);
      return { tenantId, articleId: row.id, version: 1, change: 'CREATED', changedFields: changedFields(null, state), ...state, editedBy: row.authorId };
    }),
  );
  return inserted.map((r) => ({ id: r.id, title: r.title }));
}

/** Users sharing one password hash (hashing is deliberately slow), with their roles, in two statements. */
export async function addUsersBulk(tx: Tx, tenantId: string, rows: { email: string; displayName: string; roleIds: string[] }[], passwordHash: string) {
  if (rows.length === 0) return [];
  const out = await tx
    .insert(users)
    .values(rows.map((u) => ({ tenantId, email: u.email.toLowerCase(), displayName: u.displayName, passwordHash, status: 'ACTIVE' })))
    .returning({ id: users.id, email: users.email });
  const assignments = out.flatMap((u, i) => rows[i].roleIds.map((roleId) => ({ tenantId, userId: u.id, roleId })));
  if (assignments.length) await tx.insert(roleAssignments).values(assignments);
  return out;
}

/** Tickets without linked articles, in one statement. */
export async function addTicketsBulk(tx: Tx, tenantId: string, rows: Omit<typeof tickets.$inferInsert, 'tenantId'>[]) {
  if (rows.length === 0) return 0;
  await tx.insert(tickets).values(rows.map((r) => ({ ...r, tenantId })));
  return rows.length;
}

export async function addSpace(tx: Tx, tenantId: string, s: Omit<typeof spaces.$inferInsert, 'tenantId'>) {
  const [row] = await tx.insert(spaces).values({ ...s, tenantId }).returning({ id: spaces.id });
  return row.id;
}

export async function addCategory(tx: Tx, tenantId: string, c: Omit<typeof categories.$inferInsert, 'tenantId'>) {
  const [row] = await tx.insert(categories).values({ ...c, tenantId }).returning({ id: categories.id });
  return row.id;
}

export type CustomerSeed = {
  name: string;
  company?: string | null;
  tier?: string;
  phone?: string | null;
  email?: string | null;
  idNumber?: string | null;
  address?: string | null;
  ownerId?: string | null;
  teamId?: string | null;
};

/** Customers with their personal data sealed under the tenant's active data key (created if none). */
export async function addCustomers(tx: Tx, tenantId: string, rows: CustomerSeed[], masters: MasterKeys) {
  if (rows.length === 0) return [];
  const key = await activeKeyForWrite(tx, masters, tenantId);
  const values = rows.map(({ phone = null, email = null, idNumber = null, address = null, ...rest }) => {
    const id = randomUUID();
    return { ...rest, id, tenantId, ...customerPiiColumns(sealFields(CUSTOMER_PII, key, tenantId, id, { phone, email, idNumber, address })) };
  });
  return tx.insert(customers).values(values).returning({ id: customers.id, name: customers.name });
}

export async function addContacts(
  tx: Tx,
  tenantId: string,
  rows: { customerId: string; name: string; title?: string; phone?: string | null; email?: string | null }[],
  masters: MasterKeys,
) {
  if (rows.length === 0) return [];
  const key = await activeKeyForWrite(tx, masters, tenantId);
  const values = rows.map(({ phone = null, email = null, ...rest }) => {
    const id = randomUUID();
    return { ...rest, id, tenantId, ...contactPiiColumns(sealFields(CONTACT_PII, key, tenantId, id, { phone, email })) };
  });
  return tx.insert(customerContacts).values(values).returning({ id: customerContacts.id });
}

export async function addTickets(tx: Tx, tenantId: string, rows: (Omit<typeof tickets.$inferInsert, 'tenantId'> & { articleIds?: string[] })[]) {
  const out: { id: string; subject: string }[] = [];
  for (const { articleIds: given = [], ...row } of rows) {
    const [t] = await tx.insert(tickets).values({ ...row, tenantId }).returning({ id: tickets.id, subject: tickets.subject });
    const articleIds = given.filter(Boolean);
    if (articleIds.length) await tx.insert(ticketArticles).values(articleIds.map((articleId) => ({ tenantId, ticketId: t.id, articleId })));
    out.push(t);
  }
  return out;
}

export async function addFeedback(tx: Tx, tenantId: string, rows: Omit<typeof customerFeedback.$inferInsert, 'tenantId'>[]) {
  if (rows.length === 0) return [];
  return tx.insert(customerFeedback).values(rows.map((r) => ({ ...r, tenantId }))).returning({ id: customerFeedback.id });
}
