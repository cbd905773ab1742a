import { withTenantTx } from '../db/tenant-tx';
import { badInput, forbidden } from '../lib/errors';
import { idOf, parseGlobalId } from '../lib/global-id';
import { MAX_PAGE_SIZE } from '../lib/pagination';
import type { RequestContext } from '../server/context';
import { auditEventsAfter, listAuditEvents, matchesFilter, type AuditFilter } from './audit.repo';
import { AuditStream } from './audit-stream';
import { decodeSeq, encodeSeq } from './cursor';
import { toEventModel } from './event-view';
import { streamGuard } from './stream-guard';

export type AuditFilterInput = {
  tenantId?: string | null;
  actorId?: string | null;
  action?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  from?: Date | null;
  to?: Date | null;
  outcome?: string | null;
} | null | undefined;

/**
 * Validate a filter for the viewer's tenant. A filter naming another tenant (its id, or a user who is not
 * in the viewer's tenant) is refused as FORBIDDEN: the tenant always comes from the verified session.
 */
async function toFilter(ctx: RequestContext, input: AuditFilterInput): Promise<AuditFilter> {
  const viewer = await ctx.requireViewer();
  if (input?.tenantId && idOf(input.tenantId, 'Tenant') !== viewer.tenantId) {
    throw forbidden('The filter names another tenant: you may only read your own tenant\'s audit log', { argument: 'filter.tenantId' });
  }
  const actorId = input?.actorId ? idOf(input.actorId, 'User') : undefined;
  if (actorId && !(await ctx.loaders.user.load(actorId))) {
    throw forbidden('The filter names a user outside your tenant', { argument: 'filter.actorId' });
  }
  const action = input?.action?.trim();
  if (action !== undefined && !/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/.test(action)) {
    throw badInput('action must look like "sensitive.read", or "auth.*" for a family', { argument: 'filter.action' });
  }
  if (input?.from && input?.to && input.from.getTime() >= input.to.getTime()) throw badInput('from must be before to', { argument: 'filter.from' });
  if (input?.resourceType && !/^[A-Za-z]{1,50}$/.test(input.resourceType)) throw badInput('Unknown resourceType', { argument: 'filter.resourceType' });
  return {
    actorId,
    ...(action?.endsWith('.*') ? { actionPrefix: action.slice(0, -1) } : { action: action || undefined }),
    resourceType: input?.resourceType ?? undefined,
    resourceId: input?.resourceId ? parseGlobalId(input.resourceId).id : undefined,
    from: input?.from ?? undefined,
    to: input?.to ?? undefined,
    outcome: input?.outcome ?? undefined,
  };
}

export async function auditEventPage(ctx: RequestContext, args: { filter?: AuditFilterInput; first?: number | null; after?: string | null }) {
  const viewer = await ctx.requireViewer();
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
  const before = args.after ? decodeSeq(args.after) : null;
  const filter = await toFilter(ctx, args.filter);
  const rows = await ctx.withTx((tx) => listAuditEvents(tx, viewer.tenantId, filter, first, before));
  const edges = rows.slice(0, first).map((row) => ({ cursor: encodeSeq(row.seq), node: toEventModel(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/**
 * Events of the viewer's tenant: with `after`, those after that cursor from the table, then live; without,
 * live from now. The tenant comes from the verified session, never from the client; each event is
 * authorized again before it is sent (see streamGuard).
 */
export async function auditEventStream(ctx: RequestContext, args: { filter?: AuditFilterInput; after?: string | null }) {
  const viewer = await ctx.requireViewer();
  const afterSeq = args.after != null ? decodeSeq(args.after) : null;
  const filter = await toFilter(ctx, args.filter);
  const guard = streamGuard(ctx, 'Subscription.auditEvents', ['AUDIT_READ']);
  const db = ctx.services.database.db;
  const tenantId = viewer.tenantId;
  const stream = new AuditStream(
    {
      live: ctx.services.auditBus.events(tenantId),
      after: (seq, limit, through) => withTenantTx(db, tenantId, (tx) => auditEventsAfter(tx, tenantId, seq, limit, through)),
      authorize: (row) => guard(row.tenantId),
      accept: (row) => matchesFilter(row, filter),
    },
    afterSeq,
  );
  return stream;
}
