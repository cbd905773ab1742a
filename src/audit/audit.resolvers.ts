import type { Resolvers } from '../__generated__/resolvers-types';
import { toGlobalId } from '../lib/global-id';
import { auditEventPage, auditEventStream } from './audit.service';
import type { AuditRow } from './audit.repo';

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_, args, ctx) => auditEventPage(ctx, args),
  },
  Subscription: {
    auditEvents: {
      subscribe: (_, { filter }, ctx) => auditEventStream(ctx, filter),
      resolve: (row: AuditRow) => row,
    },
  },
  AuditEvent: {
    actorId: (e) => (e.actorId ? toGlobalId('User', e.actorId) : null),
    resourceIds: (e) => e.resourceIds.map((id) => (e.resourceType ? toGlobalId(e.resourceType, id) : id)),
    detail: (e) => JSON.stringify(e.detail),
    hash: (e) => (e.hash ? Buffer.from(e.hash).toString('hex') : ''),
  },
};
