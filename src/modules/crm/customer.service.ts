import { sql } from 'drizzle-orm';
import { notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { email, optionalText, phone, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { customersByIds, insertCustomer, listCustomers, updateCustomer, type CustomerRow } from './customer.repo';

export async function customerPage(ctx: RequestContext, args: { first?: number | null; after?: string | null }) {
  const page = parsePage(args);
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listCustomers(tx, viewer, page));
  for (const row of rows) ctx.loaders.customer.prime(row.id, row);
  return toConnection(rows, page);
}

export async function customerById(ctx: RequestContext, id: string): Promise<CustomerRow | null> {
  return (await ctx.loaders.customer.load(id)) ?? null;
}

type CustomerFields = { name?: string | null; company?: string | null; phone?: string | null; email?: string | null };

function validFields(input: CustomerFields) {
  return {
    ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
    ...(input.company !== undefined && { company: optionalText(input.company, 'company', { max: 200 }) }),
    ...(input.phone !== undefined && { phone: phone(input.phone) }),
    ...(input.email !== undefined && { email: email(input.email) }),
  };
}

export async function createCustomer(ctx: RequestContext, input: CustomerFields & { name: string }): Promise<CustomerRow> {
  const viewer = await ctx.requireViewer();
  // Validation runs inside the audited mutation, so a refused attempt is recorded too.
  return auditedMutation(ctx, { action: 'customer.create', resourceType: 'Customer' }, async (tx) => {
    const values = { ...validFields(input), name: text(input.name, 'name', { max: 100 }), tenantId: viewer.tenantId, ownerId: viewer.userId };
    const row = await insertCustomer(tx, values);
    return { result: row, resourceIds: [row.id] };
  });
}

export async function editCustomer(ctx: RequestContext, input: CustomerFields & { id: string }): Promise<CustomerRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'customer.update', resourceType: 'Customer' }, async (tx) => {
    const id = idOf(input.id, 'Customer');
    const patch = validFields(input);
    const [current] = await customersByIds(tx, viewer, [id]);
    if (!current) throw notFound('Customer not found');
    const row = await updateCustomer(tx, id, { ...patch, updatedAt: sql`now()` as unknown as Date });
    // Field names only: the audit log must not become a second copy of the personal data.
    return { result: row, resourceIds: [id], detail: { fields: Object.keys(patch) } };
  });
}
