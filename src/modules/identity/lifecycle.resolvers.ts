import type { Resolvers } from '../../__generated__/resolvers-types';
import { auditEventId, splitDetail } from '../../audit/event-view';
import { toGlobalId } from '../../lib/global-id';
import { confirmTotp, enrollTotp, mfaPolicy, mfaStatus, regenerateRecoveryCodes, resetUserMfa, setMfaPolicy, verifyMfa } from './mfa.service';
import { leaverReport, offboardUser, reactivateUser, suspendUser } from './offboarding.service';
import { changePassword, mySessions, revokeMySessions, revokeSessionById, revokeSessionsOfUser } from './session.service';

type ReportRow = { tenantId: string; seq: number; occurredAt: Date; action: string; outcome: string; resourceType: string | null; resourceIds: string[]; field: string | null; detail: unknown };
/** As AuditEvent: personal data (a client's address) only in personalDetail, which is @sensitive(level: PII). */
const entry = (r: ReportRow) => {
  const { general, personal } = splitDetail(r.detail);
  return {
    ...r,
    id: auditEventId(r.tenantId, r.seq),
    outcome: r.outcome as 'ALLOWED' | 'DENIED' | 'FAILED',
    resourceIds: r.resourceIds.map((id) => (r.resourceType ? toGlobalId(r.resourceType, id) : id)),
    detail: JSON.stringify(general),
    personalDetail: personal ? JSON.stringify(personal) : null,
  };
};

/** MFA, sessions, password change, offboarding and suspension: thin resolvers over the services. */
export const lifecycleResolvers: Resolvers = {
  Query: {
    mfaPolicy: (_, __, ctx) => mfaPolicy(ctx),
    mySessions: (_, __, ctx) => mySessions(ctx),
    leaverReport: async (_, { userId }, ctx) => {
      const r = await leaverReport(ctx, userId);
      return r && { ...r, reads: r.reads.map(entry), attemptsAfter: r.attemptsAfter.map(entry) };
    },
  },
  Mutation: {
    enrollTotp: (_, __, ctx) => enrollTotp(ctx),
    confirmTotp: (_, { code }, ctx) => confirmTotp(ctx, code),
    verifyMfa: (_, { code }, ctx) => verifyMfa(ctx, code),
    regenerateRecoveryCodes: (_, __, ctx) => regenerateRecoveryCodes(ctx),
    resetUserMfa: (_, { userId }, ctx) => resetUserMfa(ctx, userId),
    setMfaPolicy: (_, { input }, ctx) => setMfaPolicy(ctx, input),
    revokeSession: (_, { id }, ctx) => revokeSessionById(ctx, id),
    revokeMySessions: (_, { includeCurrent }, ctx) => revokeMySessions(ctx, includeCurrent ?? false),
    revokeUserSessions: (_, { userId }, ctx) => revokeSessionsOfUser(ctx, userId),
    changePassword: (_, { input }, ctx) => changePassword(ctx, input),
    offboardUser: (_, { input }, ctx) => offboardUser(ctx, input),
    suspendUser: (_, { userId, reason }, ctx) => suspendUser(ctx, userId, reason),
    reactivateUser: (_, { userId }, ctx) => reactivateUser(ctx, userId),
  },
  LeaverReportEntry: {
    // The row keeps the event's uuid (the id its personalDetail reads are audited by); clients get a global id.
    id: (e) => toGlobalId('AuditEvent', e.id),
    personalDetail: (e) => e.personalDetail ?? null,
  },
  Viewer: {
    mfa: (v) => mfaStatus(v),
  },
};
