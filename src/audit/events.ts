/** An audit event as the application records it; tenant, seq and hashes are added when written. */
export type AuditOutcome = 'ALLOWED' | 'DENIED' | 'FAILED';

export type AuditEventInput = {
  action: string;
  outcome: AuditOutcome;
  resourceType?: string | null;
  resourceIds?: string[];
  field?: string | null;
  detail?: Record<string, unknown>;
};

export type Actor = { tenantId: string; actorId: string | null; sessionId: string | null };
