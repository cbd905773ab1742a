import { can } from '../../authz/policy';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { loadResource } from './resource.repo';
import { CUSTOMER_PII, type CustomerPiiField } from '../crm/customer.pii';
import { openSealedField as openPii } from '../crm/pii.service';

/** The @sensitive fields that may be revealed, per type (a test holds this equal to the schema). */
export const REVEALABLE_FIELDS = {
  Customer: ['phone', 'email', 'idNumber', 'address'],
} as const satisfies Record<string, readonly CustomerPiiField[]>;

/**
 * Reveal one sensitive value in full, once: for holders of PII_REVEAL whose scope (or a grant) covers
 * the record, with a reason that goes into the audit event in the same transaction.
 */
export async function revealField(ctx: RequestContext, args: { resourceId: string; field: string; reason: string }): Promise<string | null> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'field.reveal', resourceType: 'Field' }, async (tx) => {
    const reason = text(args.reason, 'reason', { min: 5, max: 500 });
    const resource = await loadResource(tx, args.resourceId);
    const field = REVEALABLE_FIELDS.Customer.find((f) => f === args.field);
    if (resource.type !== 'Customer' || !field) throw badInput(`${resource.type}.${args.field} is not a field that can be revealed`, { argument: 'field' });
    const row = await ctx.loaders.customer.load(resource.id);
    if (!row) throw notFound(`${resource.type} not found`);
    if (!can(viewer, 'PII_REVEAL', resource)) throw forbidden('Your reveal permission does not cover this record');
    const value = await openPii(ctx, CUSTOMER_PII, { type: 'Customer', field }, row, row[`${field}Ct`]);
    return { result: value ?? null, resourceIds: [resource.id], detail: { type: resource.type, field, reason } };
  });
}
