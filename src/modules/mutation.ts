import type { Tx } from '../db/client';
import { errorCode } from '../lib/errors';
import type { RequestContext } from '../server/context';

export type MutationOutcome<T> = { result: T; resourceIds: string[]; detail?: Record<string, unknown> };

/**
 * Run a mutation in a savepoint of the request transaction and record its audit event: the change and
 * its event commit together at the end of the request, and a refused or failed mutation leaves nothing
 * half-written behind (its savepoint is rolled back) but is audited as DENIED or FAILED.
 */
export async function auditedMutation<T>(
  ctx: RequestContext,
  meta: { action: string; resourceType: string },
  fn: (tx: Tx) => Promise<MutationOutcome<T>>,
): Promise<T> {
  try {
    const out = await ctx.withTx((tx) => tx.transaction(fn));
    ctx.audit.record({ ...meta, outcome: 'ALLOWED', resourceIds: out.resourceIds, detail: withKey(ctx, out.detail) });
    return out.result;
  } catch (err) {
    const code = errorCode(err);
    ctx.audit.record({
      ...meta,
      outcome: code === 'FORBIDDEN' || code === 'NOT_FOUND' ? 'DENIED' : 'FAILED',
      detail: withKey(ctx, { code: code ?? 'INTERNAL_SERVER_ERROR' }),
    });
    throw err;
  }
}

/** A mutation sent with an Idempotency-Key names it in its audit event, to match a retry to its original. */
const withKey = (ctx: RequestContext, detail: Record<string, unknown> | undefined) => {
  const key = ctx.idempotent?.ref.key;
  return key === undefined ? detail : { ...detail, idempotencyKey: key };
};
