import { createHash } from 'node:crypto';
import type { AuditRow } from './audit.repo';

/**
 * Keys of an event's detail that hold personal data (a client's address, an e-mail typed at a failed
 * sign-in, a user agent). The API shows them only through `AuditEvent.personalDetail`, which is
 * `@sensitive(level: PII)`: the same directive, masking and audit as customer data.
 */
export const PERSONAL_DETAIL_KEYS = ['ip', 'email', 'userAgent'] as const;

export function splitDetail(detail: unknown): { general: Record<string, unknown>; personal: Record<string, unknown> | null } {
  const general: Record<string, unknown> = {};
  const personal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((detail ?? {}) as Record<string, unknown>)) {
    if ((PERSONAL_DETAIL_KEYS as readonly string[]).includes(k)) {
      if (v !== null && v !== undefined) personal[k] = v;
    } else general[k] = v;
  }
  return { general, personal: Object.keys(personal).length ? personal : null };
}

/**
 * A stable uuid for an event, derived from its chain position (tenant, seq): events are addressed by
 * position, and reads of their personal detail are audited by this id like any other record.
 */
export function auditEventId(tenantId: string, seq: number): string {
  const h = createHash('sha256').update(`warden.audit-event:${tenantId}:${seq}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80; // version 8 (RFC 9562: custom)
  h[8] = (h[8] & 0x3f) | 0x80; // variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The row as the GraphQL layer sees it: with its id, so the @sensitive wrapper can record reads of it. */
export type AuditEventModel = AuditRow & { id: string };
export const toEventModel = (row: AuditRow): AuditEventModel => ({ ...row, id: auditEventId(row.tenantId, row.seq) });
