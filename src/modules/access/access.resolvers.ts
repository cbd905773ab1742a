import type { Resolvers } from '../../__generated__/resolvers-types';
import type { Step } from '../../authz/policy';
import { toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { accessRequests, approveAccessRequest, denyAccessRequest, myAccessRequests, requestAccess, withdrawAccessRequest } from './access-request.service';
import { explainAccess, simulateAccess, whoCanAccess } from './explain.service';
import { grantAccess, grantPage, revokeGrant } from './grant.service';
import { isActive } from './grant.repo';
import { revealField } from './reveal.service';
import { assignRole, createRole, deleteRole, roleAssignments, roles, unassignRole, updateRole } from './role.service';
import { addTeamMember, createTeam, removeTeamMember, teams } from './team.service';

const user = (ctx: RequestContext, id: string | null) =>
  id ? ctx.loaders.user.load(id).then((u) => u ?? null) : null;

function describe(step: Step): string {
  switch (step.kind) {
    case 'ROLE':
      return `role ${step.roleKey} holds the permission in scope ${step.scope.type}`;
    case 'SCOPE':
      return `role ${step.roleKey} holds the permission, but its ${step.scope.type} scope does not cover this resource`;
    case 'CLASSIFICATION':
      return step.allowed
        ? `clearance ${step.clearance} of role ${step.roleKey} covers ${step.classification}`
        : `clearance ${step.clearance} of role ${step.roleKey} does not cover ${step.classification}`;
    case 'GRANT':
      return `time-bound grant (${step.via.toLowerCase()}) until ${step.expiresAt.toISOString()}`;
    case 'STATUS':
      return `the article is ${step.status}: reading it also needs ARTICLE_WRITE or ARTICLE_PUBLISH on it, and no role or grant gives either`;
    case 'NO_ROLE':
      return 'no role holds the permission, and no live grant covers this resource';
  }
}

export const accessResolvers: Resolvers = {
  Query: {
    explainAccess: (_, args, ctx) => explainAccess(ctx, args),
    whoCanAccess: (_, args, ctx) => whoCanAccess(ctx, args),
    simulateAccess: (_, args, ctx) => simulateAccess(ctx, args),
    roles: (_, __, ctx) => roles(ctx),
    roleAssignments: (_, args, ctx) => roleAssignments(ctx, args.userId, args.includeRevoked ?? false),
    teams: (_, __, ctx) => teams(ctx),
    grants: (_, args, ctx) => grantPage(ctx, args),
    accessRequests: (_, args, ctx) => accessRequests(ctx, args.status),
    myAccessRequests: (_, __, ctx) => myAccessRequests(ctx),
  },
  Mutation: {
    grantAccess: (_, { input }, ctx) => grantAccess(ctx, input),
    revokeGrant: (_, { id, reason }, ctx) => revokeGrant(ctx, id, reason),
    requestAccess: (_, { input }, ctx) => requestAccess(ctx, input),
    approveAccessRequest: (_, { id, note }, ctx) => approveAccessRequest(ctx, id, note),
    denyAccessRequest: (_, { id, note }, ctx) => denyAccessRequest(ctx, id, note),
    withdrawAccessRequest: (_, { id }, ctx) => withdrawAccessRequest(ctx, id),
    createRole: (_, { input }, ctx) => createRole(ctx, input),
    updateRole: (_, { input }, ctx) => updateRole(ctx, input),
    deleteRole: (_, { id }, ctx) => deleteRole(ctx, id),
    assignRole: (_, { input }, ctx) => assignRole(ctx, { ...input, scope: input.scope ?? { type: 'TENANT' } }),
    unassignRole: (_, { id }, ctx) => unassignRole(ctx, id),
    createTeam: (_, { name, leadUserId }, ctx) => createTeam(ctx, name, leadUserId),
    addTeamMember: (_, { teamId, userId }, ctx) => addTeamMember(ctx, teamId, userId),
    removeTeamMember: (_, { teamId, userId }, ctx) => removeTeamMember(ctx, teamId, userId),
    revealField: (_, args, ctx) => revealField(ctx, args),
  },
  Scope: {
    id: (s) => ('id' in s ? toGlobalId(s.type === 'TEAM' ? 'Team' : 'Space', s.id) : null),
  },
  RoleAssignment: {
    id: (a) => toGlobalId('RoleAssignment', a.id),
    user: async (a, _, ctx) => (await ctx.loaders.user.load(a.userId))!,
    role: async (a, _, ctx) => (await ctx.loaders.role.load(a.roleId))!,
    scope: (a) => (a.scopeId ? { type: a.scopeType as 'TEAM' | 'SPACE', id: a.scopeId } : { type: a.scopeType as 'TENANT' | 'OWN' }),
  },
  Team: {
    id: (t) => toGlobalId('Team', t.id),
    lead: (t, _, ctx) => user(ctx, t.leadUserId),
    members: async (t, _, ctx) => (await ctx.loaders.teamMembers.load(t.id)),
  },
  AccessGrant: {
    id: (g) => toGlobalId('AccessGrant', g.id),
    resourceId: (g) => toGlobalId(g.resourceType, g.resourceId),
    user: (g, _, ctx) => user(ctx, g.userId),
    team: (g, _, ctx) => (g.teamId ? ctx.loaders.team.load(g.teamId).then((t) => t ?? null) : null),
    role: (g, _, ctx) => (g.roleId ? ctx.loaders.role.load(g.roleId).then((r) => r ?? null) : null),
    grantedBy: (g, _, ctx) => user(ctx, g.grantedBy),
    revokedBy: (g, _, ctx) => user(ctx, g.revokedBy),
    active: (g) => isActive(g),
  },
  AccessRequest: {
    id: (r) => toGlobalId('AccessRequest', r.id),
    requester: async (r, _, ctx) => (await ctx.loaders.user.load(r.requesterId))!,
    resourceId: (r) => toGlobalId(r.resourceType, r.resourceId),
    decidedBy: (r, _, ctx) => user(ctx, r.decidedBy),
    grant: (r, _, ctx) => (r.grantId ? ctx.loaders.grant.load(r.grantId).then((g) => g ?? null) : null),
  },
  AccessHolder: {
    user: async (h, _, ctx) => (await ctx.loaders.user.load(h.userId))!,
  },
  AccessStep: {
    role: (s) => ('roleKey' in s ? s.roleKey : null),
    scope: (s) => ('scope' in s ? s.scope : null),
    clearance: (s) => (s.kind === 'CLASSIFICATION' ? s.clearance : null),
    classification: (s) => (s.kind === 'CLASSIFICATION' ? (s.classification as 'PUBLIC') : null),
    grantId: (s) => (s.kind === 'GRANT' ? toGlobalId('AccessGrant', s.grantId) : null),
    grant: (s, _, ctx) => (s.kind === 'GRANT' ? ctx.loaders.grant.load(s.grantId).then((g) => g ?? null) : null),
    expiresAt: (s) => (s.kind === 'GRANT' ? s.expiresAt : null),
    description: (s) => describe(s),
  },
};
