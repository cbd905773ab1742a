import { asc, sql } from 'drizzle-orm';
import { auditArchives, securityPolicies } from '../db/schema';
import { badInput } from '../lib/errors';
import type { RequestContext } from '../server/context';
import { auditedMutation } from '../modules/mutation';
import { verifyChain } from './chain-verifier';
import { archiveDueEvents, archiveEventDetail, retentionDays } from './retention';

export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;

export async function verifyAuditLog(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  return ctx.withTx((tx) => verifyChain(tx, viewer.tenantId, ctx.services.auditSigner.trusted));
}

export const auditArchiveList = (ctx: RequestContext) => ctx.withTx((tx) => tx.select().from(auditArchives).orderBy(asc(auditArchives.lastSeq)));

export const auditRetention = async (ctx: RequestContext) => ({ retentionDays: await ctx.withTx(retentionDays) });

export async function setAuditRetention(ctx: RequestContext, days: number) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'audit.retention_set', resourceType: 'Tenant' }, async (tx) => {
    if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
      throw badInput(`days must be between ${MIN_RETENTION_DAYS} and ${MAX_RETENTION_DAYS}`, { argument: 'days' });
    }
    const before = await retentionDays(tx);
    await tx
      .insert(securityPolicies)
      .values({ tenantId: viewer.tenantId, auditRetentionDays: days, updatedBy: viewer.userId })
      .onConflictDoUpdate({ target: securityPolicies.tenantId, set: { auditRetentionDays: days, updatedBy: viewer.userId, updatedAt: sql`now()` } });
    return { result: { retentionDays: days }, resourceIds: [viewer.tenantId], detail: { before, after: days } };
  });
}

/** Run the retention cut now (the same as the hourly job), audited as an export by the caller. */
export async function archiveAuditLog(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'audit.archive', resourceType: 'AuditArchive' }, async (tx) => {
    const archive = await archiveDueEvents(tx, viewer.tenantId, ctx.services.config.audit.archiveDir, viewer.userId, ctx.services.auditSigner);
    return { result: archive, resourceIds: archive ? [archive.id] : [], detail: archive ? archiveEventDetail(archive) : { count: 0 } };
  });
}
