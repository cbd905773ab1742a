import type { Tx } from '../client';
import { articles, customers, roleAssignments, teamMembers, teams, users } from '../schema';
import { hashPassword } from '../../authn/passwords';

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

export async function addCustomers(tx: Tx, tenantId: string, rows: Omit<typeof customers.$inferInsert, 'tenantId'>[]) {
  if (rows.length === 0) return [];
  return tx.insert(customers).values(rows.map((r) => ({ ...r, tenantId }))).returning({ id: customers.id, name: customers.name });
}
