import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { customerContacts, customers } from '../../db/schema';
import { customerReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';

const columns = {
  id: customerContacts.id,
  customerId: customerContacts.customerId,
  name: customerContacts.name,
  title: customerContacts.title,
  phoneCt: customerContacts.phoneCt,
  emailCt: customerContacts.emailCt,
  piiKeyVersion: customerContacts.piiKeyVersion,
  createdAt: customerContacts.createdAt,
};

/** The customer's policy columns beside each contact read: a contact is decided as its customer (resources.ts). */
const customerPolicyColumns = { customerOwnerId: customers.ownerId, customerTeamId: customers.teamId };
const readColumns = { ...columns, ...customerPolicyColumns };

export type ContactRow = { [K in keyof typeof columns]: (typeof customerContacts.$inferSelect)[K] } & Partial<Record<keyof typeof customerPolicyColumns, string | null>>;

export const MAX_CONTACTS_PER_CUSTOMER = 50;

/** Contacts of customers the viewer may read (the customer's predicate decides), oldest first. */
const visible = (viewer: Viewer) =>
  and(eq(customers.tenantId, customerContacts.tenantId), eq(customers.id, customerContacts.customerId), customerReadPredicate(viewer));

export async function contactsOfCustomers(tx: Tx, viewer: Viewer, customerIds: readonly string[]): Promise<ContactRow[]> {
  if (customerIds.length === 0) return [];
  return tx
    .select(readColumns)
    .from(customerContacts)
    .innerJoin(customers, visible(viewer))
    .where(inArray(customerContacts.customerId, [...customerIds]))
    .orderBy(asc(customerContacts.createdAt), asc(customerContacts.id));
}

export async function contactsByIds(tx: Tx, viewer: Viewer, ids: readonly string[], opts: { lock?: boolean } = {}): Promise<ContactRow[]> {
  if (ids.length === 0) return [];
  const q = tx.select(readColumns).from(customerContacts).innerJoin(customers, visible(viewer)).where(inArray(customerContacts.id, [...ids]));
  return opts.lock ? q.for('update', { of: customerContacts }) : q;
}

export async function countContacts(tx: Tx, customerId: string): Promise<number> {
  return tx.$count(customerContacts, eq(customerContacts.customerId, customerId));
}

export async function insertContact(tx: Tx, values: typeof customerContacts.$inferInsert): Promise<ContactRow> {
  const [row] = await tx.insert(customerContacts).values(values).returning(columns);
  return row;
}

export async function updateContact(tx: Tx, id: string, patch: Partial<typeof customerContacts.$inferInsert>): Promise<ContactRow> {
  const [row] = await tx.update(customerContacts).set(patch).where(eq(customerContacts.id, id)).returning(columns);
  return row;
}

export async function deleteContact(tx: Tx, id: string): Promise<void> {
  await tx.delete(customerContacts).where(eq(customerContacts.id, id));
}
