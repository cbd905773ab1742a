import { hashSecret, newRefreshSecret, secretMatches } from '../../authn/tokens';
import { withTenantTx } from '../../db/tenant-tx';
import type { Db } from '../../db/client';
import { badInput } from '../../lib/errors';
import { idOf, isUuid } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { authSettings, saveAuthSettings } from './mfa.repo';
import { userInTenant } from './user.repo';

/** SCIM bearer token: "scim1.<tenant id>.<secret>"; only a SHA-256 of the secret is stored. */
export async function rotateScimToken(ctx: RequestContext, transferToGlobalId: string | null) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'scim.token_rotate', resourceType: 'Tenant' }, async (tx) => {
    const transferTo = transferToGlobalId ? idOf(transferToGlobalId, 'User') : null;
    if (transferTo) {
      const u = await userInTenant(tx, transferTo);
      if (!u || u.status !== 'ACTIVE') throw badInput('transferToUserId must be an active user', { argument: 'transferToUserId' });
    }
    const secret = newRefreshSecret();
    await saveAuthSettings(tx, viewer.tenantId, { scimTokenHash: hashSecret(secret), scimTransferToUserId: transferTo });
    return { result: { token: `scim1.${viewer.tenantId}.${secret}`, baseUrl: '/scim/v2' }, resourceIds: [], detail: { transferTo } };
  });
}

/** The tenant a SCIM bearer token belongs to, or null (constant-time comparison of the secret's hash). */
export async function tenantOfScimToken(db: Db, header: string | undefined): Promise<{ tenantId: string; transferTo: string | null } | null> {
  const m = /^Bearer scim1\.([0-9a-f-]{36})\.([\w-]{43})$/i.exec(header ?? '');
  if (!m || !isUuid(m[1])) return null;
  const tenantId = m[1].toLowerCase();
  const settings = await withTenantTx(db, tenantId, (tx) => authSettings(tx));
  return settings && secretMatches(m[2], settings.scimTokenHash) ? { tenantId, transferTo: settings.scimTransferToUserId } : null;
}
