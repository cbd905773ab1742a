import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { roleAssignments, roles } from '../../db/schema';

export type RoleRecord = typeof roles.$inferSelect;
export type AssignmentRow = typeof roleAssignments.$inferSelect;

export const listRoles = (tx: Tx) => tx.select().from(roles).orderBy(asc(roles.key));

export async function roleById(tx: Tx, id: string): Promise<RoleRecord | undefined> {
  const [row] = await tx.select().from(roles).where(eq(roles.id, id));
  return row;
}

export async function rolesByIds(tx: Tx, ids: readonly string[]): Promise<RoleRecord[]> {
  if (!ids.length) return [];
  return tx.select().from(roles).where(sql`${roles.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

export async function insertRole(tx: Tx, values: typeof roles.$inferInsert): Promise<RoleRecord> {
  const [row] = await tx.insert(roles).values(values).returning();
  return row;
}

export async function updateRoleRow(tx: Tx, id: string, patch: Partial<typeof roles.$inferInsert>): Promise<RoleRecord> {
  const [row] = await tx.update(roles).set({ ...patch, updatedAt: sql`now()` as unknown as Date }).where(eq(roles.id, id)).returning();
  return row;
}

export async function countAssignments(tx: Tx, roleId: string): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(roleAssignments).where(eq(roleAssignments.roleId, roleId));
  return Number(row.n);
}

export async function deleteRoleRow(tx: Tx, id: string): Promise<void> {
  await tx.delete(roles).where(eq(roles.id, id));
}

export async function assignmentsOfUser(tx: Tx, userId: string, includeRevoked: boolean): Promise<AssignmentRow[]> {
  return tx
    .select()
    .from(roleAssignments)
    .where(and(eq(roleAssignments.userId, userId), includeRevoked ? undefined : isNull(roleAssignments.revokedAt)))
    .orderBy(asc(roleAssignments.createdAt));
}

export async function insertAssignment(tx: Tx, values: typeof roleAssignments.$inferInsert): Promise<AssignmentRow> {
  const [row] = await tx.insert(roleAssignments).values(values).returning();
  return row;
}

export async function revokeAssignmentRow(tx: Tx, id: string, by: string): Promise<AssignmentRow | undefined> {
  const [row] = await tx
    .update(roleAssignments)
    .set({ revokedAt: sql`now()`, revokedBy: by })
    .where(and(eq(roleAssignments.id, id), isNull(roleAssignments.revokedAt)))
    .returning();
  return row;
}
