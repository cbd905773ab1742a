import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { addMember, insertTeam, listTeams, removeMember } from './team.repo';

export const teams = (ctx: RequestContext) => ctx.withTx(listTeams);

export async function createTeam(ctx: RequestContext, name: string, leadUserId?: string | null) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'team.create', resourceType: 'Team' }, async (tx) => {
    const lead = leadUserId ? idOf(leadUserId, 'User') : null;
    if (lead && !(await ctx.loaders.user.load(lead))) throw notFound('User not found');
    const row = await insertTeam(tx, { tenantId: viewer.tenantId, name: text(name, 'name', { max: 100 }), leadUserId: lead });
    if (!row) throw badInput('A team with this name exists', { argument: 'name' });
    if (lead) await addMember(tx, viewer.tenantId, row.id, lead);
    return { result: row, resourceIds: [row.id], detail: { name: row.name } };
  });
}

async function changeMembership(ctx: RequestContext, teamGid: string, userGid: string, add: boolean) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: add ? 'team.add_member' : 'team.remove_member', resourceType: 'Team' }, async (tx) => {
    const teamId = idOf(teamGid, 'Team');
    const userId = idOf(userGid, 'User');
    const team = await ctx.loaders.team.load(teamId);
    if (!team) throw notFound('Team not found');
    if (!(await ctx.loaders.user.load(userId))) throw notFound('User not found');
    if (add) await addMember(tx, viewer.tenantId, teamId, userId);
    else if ((await removeMember(tx, teamId, userId)) === 0) throw notFound('The user is not a member of the team');
    return { result: team, resourceIds: [teamId, userId] };
  });
}

export const addTeamMember = (ctx: RequestContext, teamId: string, userId: string) => changeMembership(ctx, teamId, userId, true);
export const removeTeamMember = (ctx: RequestContext, teamId: string, userId: string) => changeMembership(ctx, teamId, userId, false);
