import { randomUUID } from 'node:crypto';
import type { Tx } from '../client';
import { articles, customerContacts, customerFeedback, customers, roleAssignments, teamMembers, teams, ticketArticles, tickets, users } from '../schema';
import { hashPassword } from '../../authn/passwords';
import { activeKeyForWrite } from '../../crypto/keyring';
import type { MasterKeys } from '../../crypto/master-key';
import { sealFields } from '../../crypto/sealed-fields';
import { CONTACT_PII, contactPiiColumns, CUSTOMER_PII, customerPiiColumns } from '../../modules/crm/customer.pii';

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

export async function addArticles(tx: Tx, tenantId: string, rows: Omit<typeof articles.$inferInsert, 'tenantId'>[]) {
  if (rows.length === 0) return [];
  return tx.insert(articles).values(rows.map((r) => ({ ...r, tenantId }))).returning({ id: articles.id, title: articles.title });
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
