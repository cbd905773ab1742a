import type { Config } from '../config';
import type { Database } from '../db/client';
import type { TokenService } from '../authn/tokens';
import type { AuditBus } from '../audit/bus';
import type { SessionBus } from '../authn/session-bus';
import type { MasterKeys } from '../crypto/master-key';
import type { AuditSigner } from '../audit/audit-key';

/** Application-wide dependencies, built once at start-up (src/main.ts) and shared by every request. */
export type Services = {
  config: Config;
  database: Database;
  tokens: TokenService;
  auditBus: AuditBus;
  /** Session revocations from every instance (LISTEN/NOTIFY). */
  sessionBus: SessionBus;
  /** Wrap and unwrap the tenants' data keys (customer-data encryption). */
  masterKeys: MasterKeys;
  /** Signs audit checkpoints; its public keys verify them. */
  auditSigner: AuditSigner;
};
