import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { blindIndexesOf } from '../../crypto/sealed-fields';
import type { Tx } from '../../db/client';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { email, optionalText, phone, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { teamsByIds } from '../access/team.repo';
import { usersByIds } from '../identity/identity.repo';
import { auditedMutation } from '../mutation';
import { CUSTOMER_PII, customerPiiColumns, type CustomerPiiField } from './customer.pii';
import { customersByBlindIndex, customersByIds, insertCustomer, listCustomers, updateCustomer, type CustomerRow } from './customer.repo';
import { address, idNumber } from './pii.validate';
import { openForRewrite, sealForWrite } from './pii.service';

type FilterInput = { tier?: string | null; ownerId?: string | null; teamId?: string | null } | null | undefined;

export async function customerPage(ctx: RequestContext, args: { filter?: FilterInput; first?: number | null; after?: string | null }) {
  const page = parsePage(args, 'Customer');
  const f = args.filter;
  const filter = {
    tier: f?.tier ?? undefined,
    ownerId: f?.ownerId ? idOf(f.ownerId, 'User') : undefined,
    teamId: f?.teamId ? idOf(f.teamId, 'Team') : undefined,
  };
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listCustomers(tx, viewer, page, filter));
  for (const row of rows) ctx.loaders.customer.prime(row.id, row);
  return toConnection(rows, page);
}

export async function customerById(ctx: RequestContext, id: string): Promise<CustomerRow | null> {
  return (await ctx.loaders.customer.load(id)) ?? null;
}

export const MAX_LOOKUP_RESULTS = 20;

/**
 * Exact-match lookup through the blind index: the value is HMAC'd under each of the tenant's data-key
 * versions and compared in SQL with the policy's predicate; nothing is decrypted to search. Audited
 * with the matches (not the value searched for).
 */
export async function customersByContact(ctx: RequestContext, args: { phone?: string | null; email?: string | null }): Promise<CustomerRow[]> {
  const given = (['phone', 'email'] as const).filter((k) => args[k] != null);
  if (given.length !== 1) throw badInput('Give exactly one of phone and email', { argument: 'phone' });
  const domain = given[0];
  const value = domain === 'phone' ? phone(args.phone)! : email(args.email)!;
  const viewer = await ctx.requireViewer();
  const ring = await ctx.loaders.keyRing.get();
  const rows = ring.versions.length === 0 ? [] : await ctx.withTx((tx) => customersByBlindIndex(tx, viewer, { [domain]: blindIndexesOf(domain, ring, value) }, MAX_LOOKUP_RESULTS));
  for (const row of rows) ctx.loaders.customer.prime(row.id, row);
  ctx.audit.record({ action: 'customer.lookup', outcome: 'ALLOWED', resourceType: 'Customer', resourceIds: rows.map((r) => r.id), detail: { by: domain, matches: rows.length } });
  return rows;
}

type CustomerFields = {
  name?: string | null;
  company?: string | null;
  tier?: string | null;
  phone?: string | null;
  email?: string | null;
  idNumber?: string | null;
  address?: string | null;
  ownerId?: string | null;
  teamId?: string | null;
};

/** Validated fields that were given: undefined leaves a field alone, null clears it. */
function validFields(input: CustomerFields) {
  return {
    ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
    ...(input.company !== undefined && { company: optionalText(input.company, 'company', { max: 200 }) }),
    ...(input.tier != null && { tier: input.tier }),
    ...(input.ownerId !== undefined && { ownerId: input.ownerId === null ? null : idOf(input.ownerId, 'User') }),
    ...(input.teamId !== undefined && { teamId: input.teamId === null ? null : idOf(input.teamId, 'Team') }),
  };
}

function validPii(input: CustomerFields): Partial<Record<CustomerPiiField, string | null>> {
  return {
    ...(input.phone !== undefined && { phone: phone(input.phone) }),
    ...(input.email !== undefined && { email: email(input.email) }),
    ...(input.idNumber !== undefined && { idNumber: idNumber(input.idNumber) }),
    ...(input.address !== undefined && { address: address(input.address) }),
  };
}

/** An owner or team must exist in the tenant (row-level security hides the others): NOT_FOUND otherwise. */
async function checkReferences(tx: Tx, refs: { ownerId?: string | null; teamId?: string | null }) {
  if (refs.ownerId && (await usersByIds(tx, [refs.ownerId])).length === 0) throw notFound('User not found', { argument: 'ownerId' });
  if (refs.teamId && (await teamsByIds(tx, [refs.teamId])).length === 0) throw notFound('Team not found', { argument: 'teamId' });
}

export async function createCustomer(ctx: RequestContext, input: CustomerFields & { name: string }): Promise<CustomerRow> {
  const viewer = await ctx.requireViewer();
  // Validation runs inside the audited mutation, so a refused attempt is recorded too.
  return auditedMutation(ctx, { action: 'customer.create', resourceType: 'Customer' }, async (tx) => {
    const fields = { ownerId: viewer.userId, ...validFields(input), name: text(input.name, 'name', { max: 100 }) };
    const pii = validPii(input);
    await checkReferences(tx, fields);
    // The id is part of every field's AAD, so it is chosen before sealing.
    const id = randomUUID();
    const plain = { phone: null, email: null, idNumber: null, address: null, ...pii };
    const sealed = await sealForWrite(ctx, tx, CUSTOMER_PII, viewer.tenantId, id, plain);
    const row = await insertCustomer(tx, { ...fields, id, tenantId: viewer.tenantId, ...customerPiiColumns(sealed) });
    return { result: row, resourceIds: [row.id] };
  });
}

const ciphertextsOf = (row: CustomerRow): Record<CustomerPiiField, Buffer | null> => ({
  phone: row.phoneCt,
  email: row.emailCt,
  idNumber: row.idNumberCt,
  address: row.addressCt,
});

export async function editCustomer(ctx: RequestContext, input: CustomerFields & { id: string }): Promise<CustomerRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'customer.update', resourceType: 'Customer' }, async (tx) => {
    const id = idOf(input.id, 'Customer');
    const fields = validFields(input);
    const pii = validPii(input);
    const [current] = await customersByIds(tx, viewer, [id], { lock: true });
    if (!current) throw notFound('Customer not found');
    await checkReferences(tx, fields);
    // A row's fields are all sealed by one key version: changing one re-seals all with the active key.
    const sealed = Object.keys(pii).length
      ? customerPiiColumns(
          await sealForWrite(ctx, tx, CUSTOMER_PII, viewer.tenantId, id, {
            ...(await openForRewrite(ctx, CUSTOMER_PII, 'Customer', current, ciphertextsOf(current), pii)),
            ...pii,
          }),
        )
      : {};
    const row = await updateCustomer(tx, id, { ...fields, ...sealed, updatedAt: sql`now()` as unknown as Date });
    // Field names only: the audit log must not become a second copy of the personal data.
    return { result: row, resourceIds: [id], detail: { fields: [...Object.keys(fields), ...Object.keys(pii)] } };
  });
}
