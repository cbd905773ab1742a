import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { idempotencyKeys } from '../../db/schema';

export type KeyRef = { tenantId: string; principalId: string; key: string };

type Bytes = Buffer | Uint8Array;

/**
 * Take the key for this transaction without waiting (false while another transaction holds it: a
 * request with the same key still running), and hash the request. The lock is released at commit or
 * rollback, after the commit became visible, so the next holder's next statement sees the kept row.
 *
 * The hash is SHA-256 of the operation, its name and its variables; the variables go through jsonb,
 * which orders keys and drops whitespace, so equal values hash the same however they were serialised.
 */
export async function lockKey(tx: Tx, ref: KeyRef, request: { query: string; operationName: string | null; variables: unknown }): Promise<{ locked: boolean; requestHash: Buffer }> {
  const [row] = await queryRows<{ locked: boolean; hash: Bytes }>(
    tx,
    sql`select pg_try_advisory_xact_lock(hashtextextended(${`warden.idempotency:${ref.tenantId}:${ref.principalId}:${ref.key}`}, 0)) as locked,
               sha256(convert_to(jsonb_build_array(${request.query}::text, ${request.operationName}::text, ${JSON.stringify(request.variables ?? {})}::jsonb)::text, 'UTF8')) as hash`,
  );
  return { locked: row.locked, requestHash: Buffer.from(row.hash) };
}

/** The kept result of a key if it has not expired; an expired one is removed in the same statement. */
export async function findKept(tx: Tx, ref: KeyRef): Promise<{ requestHash: Buffer; httpStatus: number; response: Buffer } | undefined> {
  const [row] = await queryRows<{ request_hash: Bytes; http_status: number; response: Bytes }>(
    tx,
    sql`with expired as (
          delete from ${idempotencyKeys}
          where tenant_id = ${ref.tenantId} and principal_id = ${ref.principalId} and key = ${ref.key} and expires_at <= now())
        select request_hash, http_status, response from ${idempotencyKeys}
        where tenant_id = ${ref.tenantId} and principal_id = ${ref.principalId} and key = ${ref.key} and expires_at > now()`,
  );
  return row && { requestHash: Buffer.from(row.request_hash), httpStatus: row.http_status, response: Buffer.from(row.response) };
}

export async function insertKept(tx: Tx, ref: KeyRef, kept: { requestHash: Buffer; httpStatus: number; response: Buffer; ttlSeconds: number }): Promise<void> {
  await tx.insert(idempotencyKeys).values({
    ...ref,
    requestHash: kept.requestHash,
    httpStatus: kept.httpStatus,
    response: kept.response,
    expiresAt: sql`now() + make_interval(secs => ${kept.ttlSeconds})` as unknown as Date,
  });
}

/** Remove the current tenant's expired keys, at most `limit`; returns how many. */
export async function deleteExpired(tx: Tx, limit: number): Promise<number> {
  const gone = await queryRows(
    tx,
    sql`delete from ${idempotencyKeys} where (tenant_id, principal_id, key) in (
          select tenant_id, principal_id, key from ${idempotencyKeys} where expires_at <= now() limit ${limit})
        returning 1`,
  );
  return gone.length;
}
