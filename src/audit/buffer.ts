import type { AuditEventInput } from './events';

/**
 * Audit events collected during one request and written in one statement at its end, in the request's
 * transaction. Reads of sensitive fields are grouped per type, field and mode, with every record id.
 */
export class AuditBuffer {
  private readonly events: AuditEventInput[] = [];
  private readonly reads = new Map<string, { typeName: string; field: string; mode: string; ids: Set<string> }>();
  private readonly denied = new Set<string>();

  record(event: AuditEventInput): void {
    this.events.push(event);
  }

  sensitiveRead(typeName: string, field: string, recordId: string, mode: 'FULL' | 'MASKED'): void {
    const key = `${typeName}.${field}:${mode}`;
    let entry = this.reads.get(key);
    if (!entry) this.reads.set(key, (entry = { typeName, field, mode, ids: new Set() }));
    entry.ids.add(recordId);
  }

  /** A refused field; recorded once per field per request. */
  denial(coordinate: string, reason: string): void {
    if (this.denied.has(coordinate)) return;
    this.denied.add(coordinate);
    const [resourceType, field] = coordinate.split('.');
    this.events.push({ action: 'access.denied', outcome: 'DENIED', resourceType, field, detail: { reason } });
  }

  get size(): number {
    return this.events.length + this.reads.size;
  }

  /** Everything recorded so far, and empty the buffer. */
  drain(): AuditEventInput[] {
    const reads: AuditEventInput[] = [...this.reads.values()].map((r) => ({
      action: 'sensitive.read',
      outcome: 'ALLOWED',
      resourceType: r.typeName,
      resourceIds: [...r.ids],
      field: r.field,
      detail: { mode: r.mode, count: r.ids.size },
    }));
    const out = [...this.events, ...reads];
    this.events.length = 0;
    this.reads.clear();
    return out;
  }
}
