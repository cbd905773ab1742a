import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { identityProviders, ssoStates, users } from '../../db/schema';

export async function providerOf(tx: Tx) {
  const [row] = await tx.select().from(identityProviders).limit(1);
  return row;
}

export type ProviderRow = typeof identityProviders.$inferSelect;

export async function saveProvider(tx: Tx, tenantId: string, values: Omit<typeof identityProviders.$inferInsert, 'tenantId'>) {
  await tx.delete(identityProviders);
  const [row] = await tx.insert(identityProviders).values({ ...values, tenantId }).returning();
  return row;
}

export async function insertState(tx: Tx, values: typeof ssoStates.$inferInsert) {
  const [row] = await tx.insert(ssoStates).values(values).returning({ id: ssoStates.id });
  return row.id;
}

/** Take a sign-in state: single use, and only before it expires. */
export async function takeState(tx: Tx, id: string) {
  await tx.delete(ssoStates).where(sql`${ssoStates.expiresAt} < now() - interval '1 hour'`);
  const [row] = await tx.delete(ssoStates).where(and(eq(ssoStates.id, id), gt(ssoStates.expiresAt, sql`now()`))).returning();
  return row;
}

export async function userBySsoSubject(tx: Tx, subject: string) {
  const [row] = await tx.select({ id: users.id, status: users.status, offboardedAt: users.offboardedAt }).from(users).where(eq(users.ssoSubject, subject));
  return row;
}

/** An existing password account with this e-mail and no provider link yet (linked when the provider verified the e-mail). */
export async function unlinkedUserByEmail(tx: Tx, email: string) {
  const [row] = await tx
    .select({ id: users.id, status: users.status, offboardedAt: users.offboardedAt })
    .from(users)
    .where(and(eq(users.email, email), isNull(users.ssoSubject)));
  return row;
}

export async function linkSubject(tx: Tx, userId: string, subject: string) {
  await tx.update(users).set({ ssoSubject: subject, updatedAt: sql`now()` }).where(eq(users.id, userId));
}

export async function provisionUser(tx: Tx, values: { tenantId: string; email: string; displayName: string; ssoSubject: string }) {
  const [row] = await tx.insert(users).values(values).returning({ id: users.id, status: users.status, offboardedAt: users.offboardedAt });
  return row;
}
