import { keyVersionOf, openField, sealField, type FieldLocation } from '../../crypto/envelope';
import { activeKeyForWrite } from '../../crypto/keyring';
import type { Tx } from '../../db/client';
import type { RequestContext } from '../../server/context';
import { findKept, insertKept, lockKey, type KeyRef } from './idempotency.repo';

/** A mutation running under a key: what is needed to keep its result when it commits. */
export type IdempotentRequest = { ref: KeyRef; requestHash: Buffer };

export type IdempotencyDecision =
  /** Not seen (or expired): run the mutation and keep its result. */
  | { kind: 'run'; request: IdempotentRequest }
  /** Seen with the same request: answer with the kept result, run nothing. */
  | { kind: 'replay'; httpStatus: number; body: Record<string, unknown> }
  /** A request with this key is running now. */
  | { kind: 'conflict' }
  /** Seen with another request: the client reused a key by mistake. */
  | { kind: 'mismatch' }
  /** No viewer (no token, or a session that ended): the mutation is refused as without the key. */
  | { kind: 'unauthenticated' };

export type OperationRequest = { query: string; operationName: string | null; variables: unknown };

/** Kept results may hold customer data: sealed like any encrypted column, bound to tenant, user and key. */
const location = (ref: KeyRef): FieldLocation => ({ tenantId: ref.tenantId, table: 'idempotency_keys', column: 'response', rowId: `${ref.principalId}/${ref.key}` });

/**
 * Decide what a mutation with an Idempotency-Key does, in the request's transaction. The key's lock
 * is held to the end of that transaction, and the result is kept in it (keepResult): the mutation's
 * changes and its kept result commit together or not at all, so after a lost response (or a crash)
 * a retry either replays the result or runs for the first time, never a second time.
 */
export async function decide(ctx: RequestContext, key: string, request: OperationRequest): Promise<IdempotencyDecision> {
  const viewer = await ctx.viewer();
  if (!viewer) return { kind: 'unauthenticated' };
  const ref: KeyRef = { tenantId: viewer.tenantId, principalId: viewer.userId, key };
  return ctx.withTx(async (tx) => {
    const { locked, requestHash } = await lockKey(tx, ref, request);
    if (!locked) return { kind: 'conflict' };
    const kept = await findKept(tx, ref);
    if (!kept) return { kind: 'run', request: { ref, requestHash } };
    if (!kept.requestHash.equals(requestHash)) return { kind: 'mismatch' };
    let ring = await ctx.loaders.keyRing.get();
    if (!ring.versions.includes(keyVersionOf(kept.response))) ring = await ctx.loaders.keyRing.reload();
    const body = JSON.parse(openField((v) => ring.get(v), kept.response, location(ref))) as Record<string, unknown>;
    ctx.audit.record({ action: 'mutation.replayed', outcome: 'ALLOWED', resourceType: 'IdempotencyKey', detail: { idempotencyKey: key, operation: request.operationName } });
    return { kind: 'replay', httpStatus: kept.httpStatus, body };
  });
}

/** Keep a mutation's response under its key, in the transaction that commits the mutation. */
export async function keepResult(ctx: RequestContext, tx: Tx, request: IdempotentRequest, httpStatus: number, body: unknown): Promise<void> {
  const dataKey = await activeKeyForWrite(tx, ctx.services.masterKeys, request.ref.tenantId);
  await insertKept(tx, request.ref, {
    requestHash: request.requestHash,
    httpStatus,
    response: sealField(dataKey, JSON.stringify(body), location(request.ref)),
    ttlSeconds: ctx.services.config.idempotencyKeyTtl,
  });
}

/**
 * Whether a response is the mutation's result or a failure of the server: an internal error or an
 * unavailable database is not kept, so a retry runs the mutation again (its changes were rolled back).
 */
export function isKeepable(httpStatus: number, body: { errors?: readonly { extensions?: Record<string, unknown> }[] }): boolean {
  if (httpStatus >= 500) return false;
  return !(body.errors ?? []).some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || e.extensions?.code === 'SERVICE_UNAVAILABLE');
}
