import { EventEmitter } from 'node:events';
import type { Database, Unlisten } from '../db/client';
import { logger } from '../lib/logger';

export const SESSION_CHANNEL = 'warden_session';

/** A session ended, or every session of a user (suspended, offboarded). */
export type Revocation = { tenantId: string; sessionId?: string; userId?: string };

/**
 * Revocations from every instance (drizzle/0004_identity_security.sql NOTIFYs at commit). HTTP requests
 * need none of this: each one checks its session in the database. What an instance holds open does:
 * WebSocket operations authenticated at subscribe time are closed when their session or user is revoked.
 */
export class SessionBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private unlisten: Unlisten | undefined;

  constructor(private readonly database: Database) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(
      SESSION_CHANNEL,
      (payload) => {
        try {
          this.emitter.emit('revoked', JSON.parse(payload) as Revocation);
        } catch (err) {
          logger.error('session revocation notification failed', { err });
        }
      },
      () => this.emitter.emit('restored'),
    );
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
    this.emitter.removeAllListeners();
  }

  onRevoked(fn: (r: Revocation) => void): () => void {
    this.emitter.on('revoked', fn);
    return () => this.emitter.off('revoked', fn);
  }

  /**
   * LISTEN came back after a loss: revocations committed meanwhile were not heard, so whoever holds
   * sessions open checks them against the database again.
   */
  onRestored(fn: () => void): () => void {
    this.emitter.on('restored', fn);
    return () => this.emitter.off('restored', fn);
  }
}

export const revokes = (r: Revocation, claims: { tid: string; sid: string; sub: string }): boolean =>
  r.tenantId === claims.tid && (r.sessionId === claims.sid || r.userId === claims.sub);
