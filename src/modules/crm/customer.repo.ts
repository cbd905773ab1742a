import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { customers } from '../../db/schema';
import { predicate } from '../../authz/policy';
import { RESOURCE_TYPES } from '../../authz/resources';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

const columns = {
  id: customers.id,
  name: customers.name,
  company: customers.company,
  phone: customers.phone,
  email: customers.email,
  ownerId: customers.ownerId,
  createdAt: customers.createdAt,
  updatedAt: customers.updatedAt,
};

export type CustomerRow = { [K in keyof typeof columns]: (typeof customers.$inferSelect)[K] };

export async function listCustomers(tx: Tx, viewer: Viewer, page: Page) {
  const k = keyset(customers, page, predicate(viewer, 'CUSTOMER_READ', RESOURCE_TYPES.Customer.columns));
  return tx.select({ ...columns, cursorAt: k.cursorAt }).from(customers).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function customersByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<CustomerRow[]> {
  return tx.select(columns).from(customers).where(and(predicate(viewer, 'CUSTOMER_READ', RESOURCE_TYPES.Customer.columns), inArray(customers.id, [...ids])));
}

export async function insertCustomer(tx: Tx, values: typeof customers.$inferInsert): Promise<CustomerRow> {
  const [row] = await tx.insert(customers).values(values).returning(columns);
  return row;
}

export async function updateCustomer(tx: Tx, id: string, patch: Partial<typeof customers.$inferInsert>): Promise<CustomerRow> {
  const [row] = await tx.update(customers).set(patch).where(eq(customers.id, id)).returning(columns);
  return row;
}

/** Offboarding: every customer owned by one user passes to another, in the caller's transaction. */
export async function transferOwnership(tx: Tx, fromUserId: string, toUserId: string): Promise<number> {
  const rows = await tx.update(customers).set({ ownerId: toUserId }).where(eq(customers.ownerId, fromUserId)).returning({ id: customers.id });
  return rows.length;
}
