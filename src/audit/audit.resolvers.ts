import type { Resolvers } from '../__generated__/resolvers-types';
import { toGlobalId } from '../lib/global-id';
import { archiveAuditLog, auditArchiveList, auditRetention, setAuditRetention, verifyAuditLog } from './audit-admin.service';
import { auditEventPage, auditEventStream } from './audit.service';
import { encodeSeq } from './cursor';
import { splitDetail, toEventModel } from './event-view';
import type { AuditRow } from './audit.repo';
import { isRefusal, type Guarded } from './stream-guard';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_, args, ctx) => auditEventPage(ctx, args),
    verifyAuditLog: (_, __, ctx) => verifyAuditLog(ctx),
    auditArchives: (_, __, ctx) => auditArchiveList(ctx),
    auditRetention: (_, __, ctx) => auditRetention(ctx),
  },
  Mutation: {
    setAuditRetention: (_, { days }, ctx) => setAuditRetention(ctx, days),
    archiveAuditLog: (_, __, ctx) => archiveAuditLog(ctx),
  },
  Subscription: {
    auditEvents: {
      subscribe: (_, args, ctx) => auditEventStream(ctx, args),
      resolve: (item: Guarded<AuditRow>) => {
        if (isRefusal(item)) throw item.refused;
        return toEventModel(item);
      },
    },
  },
  AuditEvent: {
    id: (e) => toGlobalId('AuditEvent', e.id),
    tenantId: (e) => toGlobalId('Tenant', e.tenantId),
    cursor: (e) => encodeSeq(e.seq),
    actorId: (e) => (e.actorId ? toGlobalId('User', e.actorId) : null),
    sessionId: (e) => (e.sessionId ? toGlobalId('Session', e.sessionId) : null),
    resourceIds: (e) => e.resourceIds.map((id) => (e.resourceType ? toGlobalId(e.resourceType, id) : id)),
    detail: (e) => JSON.stringify(splitDetail(e.detail).general),
    personalDetail: (e) => {
      const { personal } = splitDetail(e.detail);
      return personal ? JSON.stringify(personal) : null;
    },
    hash: (e) => hex(e.hash) ?? '',
    prevHash: (e) => hex(e.prevHash),
  },
  AuditBreak: {
    kind: (b) => b.kind,
  },
  AuditVerification: {
    firstBreak: (r) => r.breaks[0] ?? null,
  },
  AuditArchive: {
    id: (a) => toGlobalId('AuditArchive', a.id),
    anchorHash: (a) => hex(a.anchorHash) ?? '',
  },
};
