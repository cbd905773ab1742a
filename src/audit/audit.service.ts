import { filterMap } from '../lib/async-iter';
import { badInput } from '../lib/errors';
import { idOf } from '../lib/global-id';
import { MAX_PAGE_SIZE } from '../lib/pagination';
import type { RequestContext } from '../server/context';
import { listAuditEvents, matchesFilter, type AuditFilter, type AuditRow } from './audit.repo';

type FilterInput = { actorId?: string | null; action?: string | null; outcome?: string | null } | null | undefined;

const encodeSeq = (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url');
function decodeSeq(cursor: string): number {
  const m = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || encodeSeq(Number(m[1])) !== cursor) throw badInput('Malformed cursor', { argument: 'after' });
  return Number(m[1]);
}

function toFilter(input: FilterInput): AuditFilter {
  return {
    actorId: input?.actorId ? idOf(input.actorId, 'User') : undefined,
    action: input?.action ?? undefined,
    outcome: input?.outcome ?? undefined,
  };
}

export async function auditEventPage(ctx: RequestContext, args: { filter?: FilterInput; first?: number | null; after?: string | null }) {
  const viewer = await ctx.requireViewer();
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
  const before = args.after ? decodeSeq(args.after) : null;
  const rows = await ctx.withTx((tx) => listAuditEvents(tx, viewer.tenantId, toFilter(args.filter), first, before));
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeSeq(node.seq), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** Live events of the viewer's tenant: the tenant comes from the verified session, never from the client. */
export async function auditEventStream(ctx: RequestContext, filterInput: FilterInput): Promise<AsyncIterableIterator<AuditRow>> {
  const viewer = await ctx.requireViewer();
  const filter = toFilter(filterInput);
  return filterMap(ctx.services.auditBus.events(viewer.tenantId), (row) =>
    row.tenantId === viewer.tenantId && matchesFilter(row, filter) ? row : undefined,
  );
}
