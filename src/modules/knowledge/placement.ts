import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { teamsByIds } from '../access/team.repo';
import { categoriesByIds, spacesByIds, type CategoryRow, type SpaceRow } from './structure.repo';

export type PlacementInput = { spaceId?: string | null; categoryId?: string | null; ownerTeamId?: string | null };
export type Placement = { spaceId: string | null; categoryId: string | null; ownerTeamId: string | null; space?: SpaceRow; category?: CategoryRow };

const optionalId = (value: string | null | undefined, type: string) => (value === undefined ? undefined : value === null ? null : idOf(value, type));

/**
 * Where an article lives: space, category (in that space) and owning team. Fields left out keep their
 * current value; a category implies its space; moving to another space leaves the old space's category.
 * Unknown or foreign ids are NOT_FOUND.
 */
export async function resolvePlacement(tx: Tx, viewer: Viewer, input: PlacementInput, current?: Placement): Promise<Placement> {
  const spaceInput = optionalId(input.spaceId, 'Space');
  const categoryInput = optionalId(input.categoryId, 'Category');
  const teamInput = optionalId(input.ownerTeamId, 'Team');

  let spaceId = spaceInput === undefined ? (current?.spaceId ?? null) : spaceInput;
  let categoryId = categoryInput === undefined ? (current?.categoryId ?? null) : categoryInput;
  let category: CategoryRow | undefined;
  if (categoryId && categoryInput !== undefined) {
    [category] = await categoriesByIds(tx, viewer, [categoryId]);
    if (!category) throw notFound('Category not found');
    if (spaceInput && spaceInput !== category.spaceId) throw badInput('The category is in another space', { argument: 'categoryId' });
    spaceId = category.spaceId;
  } else if (categoryId && spaceId !== (current?.spaceId ?? null)) {
    categoryId = null;
  }
  let space: SpaceRow | undefined;
  if (spaceId) {
    [space] = await spacesByIds(tx, viewer, [spaceId]);
    if (!space) throw notFound('Space not found');
  }
  const ownerTeamId = teamInput === undefined ? (current?.ownerTeamId ?? null) : teamInput;
  if (teamInput) {
    const [team] = await teamsByIds(tx, [teamInput]);
    if (!team) throw notFound('Team not found');
  }
  return { spaceId, categoryId, ownerTeamId, space, category };
}
