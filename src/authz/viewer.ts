import type { Classification, Permission } from './permissions';

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
};
