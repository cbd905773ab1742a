import { can } from '../../authz/policy';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { loadResource } from './resource.repo';

/** The @sensitive fields that may be revealed, per type (a test holds this equal to the schema). */
export const REVEALABLE_FIELDS: Record<string, readonly string[]> = {
  Customer: ['phone', 'email'],
};

/**
 * Reveal one sensitive value in full, once: for holders of PII_REVEAL whose scope (or a grant) covers
 * the record, with a reason that goes into the audit event in the same transaction.
 */
export async function revealField(ctx: RequestContext, args: { resourceId: string; field: string; reason: string }): Promise<string | null> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'field.reveal', resourceType: 'Field' }, async (tx) => {
    const reason = text(args.reason, 'reason', { min: 5, max: 500 });
    const resource = await loadResource(tx, args.resourceId);
    if (!REVEALABLE_FIELDS[resource.type]?.includes(args.field)) throw badInput(`${resource.type}.${args.field} is not a field that can be revealed`, { argument: 'field' });
    const readable = resource.type === 'Customer' ? await ctx.loaders.customer.load(resource.id) : undefined;
    if (!readable) throw notFound(`${resource.type} not found`);
    if (!can(viewer, 'PII_REVEAL', resource)) throw forbidden('Your reveal permission does not cover this record');
    const value = (readable as Record<string, unknown>)[args.field];
    return { result: value == null ? null : String(value), resourceIds: [resource.id], detail: { type: resource.type, field: args.field, reason } };
  });
}
