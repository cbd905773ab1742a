import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { users } from '../../db/schema';

const columns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  status: users.status,
  externalId: users.externalId,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export type ScimUserRow = Awaited<ReturnType<typeof scimUserById>>;

export async function scimUserById(tx: Tx, id: string) {
  const [row] = await tx.select(columns).from(users).where(eq(users.id, id));
  return row;
}

export async function scimUsersWhere(tx: Tx, attribute: 'userName' | 'externalId' | null, value: string, offset: number, limit: number) {
  const where = attribute === 'userName' ? eq(users.email, value.toLowerCase()) : attribute === 'externalId' ? eq(users.externalId, value) : undefined;
  const [{ total }] = await tx.select({ total: sql<number>`count(*)::int` }).from(users).where(where);
  const rows = await tx.select(columns).from(users).where(where).orderBy(users.createdAt, users.id).offset(offset).limit(limit);
  return { total: Number(total), rows };
}

export async function insertScimUser(tx: Tx, values: typeof users.$inferInsert) {
  const [row] = await tx.insert(users).values(values).onConflictDoNothing().returning(columns);
  return row;
}

export async function updateScimUser(tx: Tx, id: string, patch: Partial<typeof users.$inferInsert>) {
  const [row] = await tx.update(users).set({ ...patch, updatedAt: sql`now()` }).where(eq(users.id, id)).returning(columns);
  return row;
}
