import { randomUUID } from 'node:crypto';
import { storedSessionEnd, type AuthFailure } from '../authn/session-end';
import type { AccessClaims } from '../authn/tokens';
import { AuditBuffer } from '../audit/buffer';
import type { Actor } from '../audit/events';
import { writeAuditEvents } from '../audit/writer';
import type { SensitiveReadContext } from '../authz/transform';
import type { Viewer } from '../authz/viewer';
import { toDecisionState } from '../authz/decision-state';
import type { Tx } from '../db/client';
import { RequestTransaction, withTenantTx } from '../db/tenant-tx';
import { requestLogger, type Logger } from '../lib/logger';
import { metrics } from '../metrics/registry';
import { loadViewerRow, type ViewerRow } from '../modules/identity/identity.repo';
import type { IdempotentRequest } from '../modules/idempotency/idempotency.service';
import { createLoaders, type Loaders } from './loaders';
import type { Services } from './services';

export type ClientInfo = { ip: string | undefined; userAgent: string | undefined };

/**
 * Per-request state, built in one place: the verified token, the viewer (loaded once), the request's
 * transaction, its audit buffer and its loaders. `request` mode holds one transaction for the whole
 * operation; `stream` mode (subscriptions) uses a short transaction per use instead.
 */
export class RequestContext implements SensitiveReadContext {
  /** Logged on every line of the request, returned in X-Request-Id and kept with its audit events. */
  readonly requestId: string;
  /** The request's logger: every line carries the request id. */
  readonly log: Logger;
  readonly audit = new AuditBuffer();
  readonly counters = { ruleEvaluations: 0 };
  readonly loaders: Loaders;
  private readonly tx: RequestTransaction | undefined;
  /**
   * Mutable per-request state lives in one shared object: Apollo Server shallow-copies the context
   * for each operation, and the loaders built in the constructor hold the original. Fields assigned
   * on either copy would not be seen by the other (the viewer was loaded twice per request).
   */
  private readonly state: { viewer?: Promise<Viewer | null>; loaded?: Viewer | null; failure?: AuthFailure; idempotent?: IdempotentRequest };

  constructor(
    readonly services: Services,
    readonly claims: AccessClaims | null,
    tokenFailure: AuthFailure | undefined,
    readonly client: ClientInfo,
    readonly mode: 'request' | 'stream' = 'request',
    trace?: { requestId: string; log: Logger },
  ) {
    this.requestId = trace?.requestId ?? randomUUID();
    this.log = trace?.log ?? requestLogger(this.requestId).log;
    this.state = { failure: tokenFailure };
    this.tx = mode === 'request' ? new RequestTransaction(services.database.db, claims?.tid ?? null) : undefined;
    this.loaders = createLoaders(this);
  }

  /** Run with the request's transaction (tenant set, application role). */
  withTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.tx) return this.tx.get().then(fn);
    return withTenantTx(this.services.database.db, this.claims?.tid ?? null, fn);
  }

  /** The mutation runs under an Idempotency-Key: its result is kept when the request commits. */
  runIdempotent(request: IdempotentRequest): void {
    this.state.idempotent = request;
  }

  get idempotent(): IdempotentRequest | undefined {
    return this.state.idempotent;
  }

  authFailure(): AuthFailure | undefined {
    return this.state.failure;
  }

  viewer(): Promise<Viewer | null> {
    if (!this.state.viewer) {
      const loading = this.loadViewer();
      this.state.viewer = loading;
      // Kept only while it is still the current load (a reload may have replaced it meanwhile).
      void loading.then((v) => this.state.viewer === loading && (this.state.loaded = v), () => {});
    }
    return this.state.viewer;
  }

  loadedViewer(): Viewer | null | undefined {
    return this.state.loaded;
  }

  /** Load the viewer again (long-lived subscriptions re-check session and permissions while they run). */
  reloadViewer(): Promise<Viewer | null> {
    this.state.viewer = undefined;
    this.state.loaded = undefined;
    return this.viewer();
  }

  /** The viewer, or throw: for services that run only behind an @auth rule. */
  async requireViewer(): Promise<Viewer> {
    const viewer = await this.viewer();
    if (!viewer) throw new Error('requireViewer called without a viewer: the field lacks @auth');
    return viewer;
  }

  private async loadViewer(): Promise<Viewer | null> {
    const claims = this.claims;
    if (!claims) return null;
    const row = await this.withTx((tx) => loadViewerRow(tx, claims.sub, claims.sid));
    const refusal = !row ? 'session not found' : !row.session_ok ? 'session ended' : row.status !== 'ACTIVE' ? `account ${row.status.toLowerCase()}` : undefined;
    if (refusal || !row) {
      // The token is genuine and names this session of this user, so its holder is told why it ended;
      // a live session of an inactive account (or no session at all) gets no reason.
      const ended = row && !row.session_ok ? storedSessionEnd(row.revoked_reason, row.revoked_reference) : undefined;
      this.state.failure = ended ?? { message: 'Session is no longer valid' };
      this.audit.record({ action: 'auth.token_refused', outcome: 'DENIED', resourceType: 'Session', resourceIds: [claims.sid], detail: { reason: refusal, code: ended?.reason ?? null, ip: this.client.ip ?? null } });
      // An offboarded user's old token: a security event for the analysts and the leaver report.
      if (row?.offboarded) {
        this.audit.record({ action: 'security.leaver_access_attempt', outcome: 'DENIED', resourceType: 'User', resourceIds: [row.user_id], detail: { credential: 'access token', ip: this.client.ip ?? null } });
      }
      return null;
    }
    const state = toDecisionState(claims.tid, row.user_id, row, new Date());
    const roleKeys = [...new Set(state.assignments.map((x) => x.roleKey))];
    const lockdown = typeof row.lockdown === 'string' ? (JSON.parse(row.lockdown) as Exclude<ViewerRow['lockdown'], string>) : row.lockdown;
    return {
      ...state,
      sessionId: claims.sid,
      email: row.email,
      roleKeys,
      mfa: {
        at: row.mfa_at ? new Date(row.mfa_at) : null,
        enrolled: row.mfa_enrolled,
        required: (row.mfa_required_roles ?? []).some((r) => roleKeys.includes(r)),
        maxAgeSeconds: Math.min(row.step_up_max_age ?? Infinity, this.services.config.authn.stepUpMaxAge),
      },
      lockdown: lockdown ? { id: lockdown.id, reason: lockdown.reason, startedAt: new Date(lockdown.startedAt) } : null,
    };
  }

  recordDenial(coordinate: string, reason: string): void {
    metrics.denial(coordinate);
    this.audit.denial(coordinate, reason);
  }

  recordSensitiveRead(typeName: string, field: string, recordId: string, mode: 'FULL' | 'MASKED', level = 'NONE'): void {
    metrics.sensitiveRead(level, mode);
    this.audit.sensitiveRead(typeName, field, recordId, mode);
  }

  private actor(): Actor | null {
    if (!this.claims) return null;
    return { tenantId: this.claims.tid, actorId: this.claims.sub, sessionId: this.claims.sid };
  }

  /**
   * End of the operation: run `beforeCommit` (keeping an idempotent result), write the collected audit
   * events in one statement, then commit. Audit and work commit together or not at all; if this throws
   * the caller must not report success.
   */
  async finish(beforeCommit?: (tx: Tx) => Promise<void>): Promise<void> {
    const actor = this.actor();
    try {
      if (beforeCommit) await this.withTx(beforeCommit);
      if (this.audit.size > 0) {
        const events = this.audit.drain();
        if (actor) await this.withTx((tx) => writeAuditEvents(tx, actor, this.requestId, events));
        else this.log.info('unauthenticated request refused', { events });
      }
    } catch (err) {
      await this.tx?.finish(false);
      throw err;
    }
    await this.tx?.finish(true);
  }

  /**
   * Subscriptions: write what was collected so far (sensitive reads while resolving one event) in its
   * own short transaction, so a stream's reads are in the log as they happen, not when it ends.
   */
  async flushAudit(): Promise<void> {
    const actor = this.actor();
    if (this.mode !== 'stream' || !actor || this.audit.size === 0) return;
    const events = this.audit.drain();
    await this.withTx((tx) => writeAuditEvents(tx, actor, this.requestId, events));
  }

  /** Roll back without writing anything (the operation could not be answered). */
  async abort(): Promise<void> {
    await this.tx?.finish(false);
  }
}
