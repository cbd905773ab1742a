import { and, desc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { accessRequests } from '../../db/schema';

export type AccessRequestRow = typeof accessRequests.$inferSelect;

export async function insertRequest(tx: Tx, values: typeof accessRequests.$inferInsert): Promise<AccessRequestRow> {
  const [row] = await tx.insert(accessRequests).values(values).returning();
  return row;
}

/** Locked, so two approvers cannot both decide it. */
export async function requestForDecision(tx: Tx, id: string): Promise<AccessRequestRow | undefined> {
  const [row] = await tx.select().from(accessRequests).where(eq(accessRequests.id, id)).for('update');
  return row;
}

export async function decideRequest(tx: Tx, id: string, d: { status: string; decidedBy: string; note: string | null; grantId?: string }) {
  const [row] = await tx
    .update(accessRequests)
    .set({ status: d.status, decidedBy: d.decidedBy, decidedAt: sql`now()`, decisionNote: d.note, grantId: d.grantId ?? null })
    .where(eq(accessRequests.id, id))
    .returning();
  return row;
}

export async function listRequests(tx: Tx, f: { status?: string; requesterId?: string }) {
  return tx
    .select()
    .from(accessRequests)
    .where(and(f.status ? eq(accessRequests.status, f.status) : undefined, f.requesterId ? eq(accessRequests.requesterId, f.requesterId) : undefined))
    .orderBy(desc(accessRequests.createdAt))
    .limit(200);
}

/** Offboarding: withdraw the user's pending requests. */
export async function withdrawRequestsOf(tx: Tx, userId: string): Promise<number> {
  const rows = await tx
    .update(accessRequests)
    .set({ status: 'WITHDRAWN', decidedAt: sql`now()`, decisionNote: 'requester offboarded' })
    .where(and(eq(accessRequests.requesterId, userId), eq(accessRequests.status, 'PENDING')))
    .returning({ id: accessRequests.id });
  return rows.length;
}
