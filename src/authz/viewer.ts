import type { Classification, Permission } from './permissions';

/** The session's second-factor state, loaded with the viewer (same statement). */
export type ViewerMfa = {
  /** When this session last passed a second factor. */
  at: Date | null;
  enrolled: boolean;
  /** The tenant's policy requires a second factor for one of the viewer's roles. */
  required: boolean;
  /** Step-up age for @mfa fields, seconds. */
  maxAgeSeconds: number;
};

/** Who is asking, as loaded once per request from the session, the user and their roles. */
export type Viewer = {
  tenantId: string;
  userId: string;
  sessionId: string;
  email: string;
  permissions: ReadonlySet<Permission>;
  clearance: Classification;
  roleKeys: readonly string[];
  teamIds: readonly string[];
  /** Absent for viewers built outside a request (tests, jobs): treated as never having passed MFA. */
  mfa?: ViewerMfa;
};
