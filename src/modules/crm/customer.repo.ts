import { and, desc, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { customerContacts, customers } from '../../db/schema';
import { customerFullPiiPredicate, customerReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

/** Ciphertexts travel with the row; src/modules/crm/pii.service.ts opens a field when it is asked for. */
const columns = {
  id: customers.id,
  name: customers.name,
  company: customers.company,
  tier: customers.tier,
  ownerId: customers.ownerId,
  teamId: customers.teamId,
  phoneCt: customers.phoneCt,
  emailCt: customers.emailCt,
  idNumberCt: customers.idNumberCt,
  addressCt: customers.addressCt,
  piiKeyVersion: customers.piiKeyVersion,
  createdAt: customers.createdAt,
  updatedAt: customers.updatedAt,
};

export type CustomerRow = { [K in keyof typeof columns]: (typeof customers.$inferSelect)[K] };
export type CustomerFilter = { tier?: string; ownerId?: string; teamId?: string };

const filterSql = (f: CustomerFilter): SQL | undefined =>
  and(
    f.tier ? eq(customers.tier, f.tier) : undefined,
    f.ownerId ? eq(customers.ownerId, f.ownerId) : undefined,
    f.teamId ? eq(customers.teamId, f.teamId) : undefined,
  );

export async function listCustomers(tx: Tx, viewer: Viewer, page: Page, filter: CustomerFilter = {}) {
  const k = keyset(customers, page, and(customerReadPredicate(viewer), filterSql(filter))!);
  return tx.select({ ...columns, cursorAt: k.cursorAt }).from(customers).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

/** Customers by id that the viewer may read; `lock` for a read-modify-write in a mutation. */
export async function customersByIds(tx: Tx, viewer: Viewer, ids: readonly string[], opts: { lock?: boolean } = {}): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  const q = tx.select(columns).from(customers).where(and(customerReadPredicate(viewer), inArray(customers.id, [...ids])));
  return opts.lock ? q.for('update') : q;
}

/**
 * Customers whose own phone/e-mail, or one of whose contacts' phone/e-mail, has one of the given blind
 * indexes (one per data-key version). Uses the (tenant_id, *_bidx) indexes; never decrypts to search.
 * A match tells the value, and a contact is decided as its customer: only customers whose personal data
 * the viewer reads in full are matched, so a viewer who sees a number masked cannot confirm it here.
 */
export async function customersByBlindIndex(tx: Tx, viewer: Viewer, index: { phone?: Buffer[]; email?: Buffer[] }, limit: number): Promise<CustomerRow[]> {
  const own = or(
    index.phone ? inArray(customers.phoneBidx, index.phone) : undefined,
    index.email ? inArray(customers.emailBidx, index.email) : undefined,
  );
  const viaContacts = tx
    .select({ id: customerContacts.customerId })
    .from(customerContacts)
    .where(
      or(
        index.phone ? inArray(customerContacts.phoneBidx, index.phone) : undefined,
        index.email ? inArray(customerContacts.emailBidx, index.email) : undefined,
      ),
    );
  return tx
    .select(columns)
    .from(customers)
    .where(and(customerReadPredicate(viewer), customerFullPiiPredicate(viewer), or(own, inArray(customers.id, viaContacts))))
    .orderBy(desc(customers.createdAt), desc(customers.id))
    .limit(limit);
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
