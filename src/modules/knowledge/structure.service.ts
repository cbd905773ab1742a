import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { spaces } from '../../db/schema';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { teamsByIds } from '../access/team.repo';
import { auditedMutation } from '../mutation';
import { checkClearance } from './article.input';
import {
  categoriesByIds, insertCategory, insertSpace, isInSubtree, listCategories, listSpaces, spacesByIds, updateCategory, updateSpace,
  type CategoryRow, type SpaceRow,
} from './structure.repo';
import { listTags } from './tag.repo';

type PageArgs = { first?: number | null; after?: string | null };

export async function spacePage(ctx: RequestContext, args: PageArgs) {
  const page = parsePage(args);
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listSpaces(tx, viewer, page));
  for (const row of rows) ctx.loaders.space.prime(row.id, row);
  return toConnection(rows, page);
}

export async function categoryPage(ctx: RequestContext, args: PageArgs & { spaceId?: string | null }) {
  const page = parsePage(args);
  const spaceId = args.spaceId ? idOf(args.spaceId, 'Space') : undefined;
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listCategories(tx, viewer, page, spaceId));
  for (const row of rows) ctx.loaders.category.prime(row.id, row);
  return toConnection(rows, page);
}

export async function tagPage(ctx: RequestContext, args: PageArgs) {
  const page = parsePage(args);
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listTags(tx, viewer, page));
  for (const row of rows) ctx.loaders.tag.prime(row.id, row);
  return toConnection(rows, page);
}

const SPACE_KEY = /^[A-Z][A-Z0-9_]{1,19}$/;

async function ownerTeam(tx: Tx, value: string | null | undefined): Promise<string | null | undefined> {
  if (value === undefined || value === null) return value;
  const id = idOf(value, 'Team');
  const [team] = await teamsByIds(tx, [id]);
  if (!team) throw notFound('Team not found');
  return id;
}

export async function createSpace(
  ctx: RequestContext,
  input: { key: string; name: string; description?: string | null; defaultClassification?: string | null; ownerTeamId?: string | null },
): Promise<SpaceRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'space.create', resourceType: 'Space' }, async (tx) => {
    const key = input.key.trim();
    if (!SPACE_KEY.test(key)) throw badInput('key must be 2 to 20 capital letters, digits or _, starting with a letter', { argument: 'key' });
    const defaultClassification = input.defaultClassification ?? 'INTERNAL';
    checkClearance(viewer.clearance, defaultClassification);
    const [taken] = await tx.select({ id: spaces.id }).from(spaces).where(eq(spaces.key, key));
    if (taken) throw badInput(`A space with key ${key} exists`, { argument: 'key' });
    const row = await insertSpace(tx, {
      tenantId: viewer.tenantId,
      key,
      name: text(input.name, 'name', { max: 100 }),
      description: optionalText(input.description, 'description', { max: 2000 }) ?? null,
      defaultClassification,
      ownerTeamId: (await ownerTeam(tx, input.ownerTeamId)) ?? null,
    });
    return { result: row, resourceIds: [row.id], detail: { key, defaultClassification: row.defaultClassification } };
  });
}

export async function editSpace(
  ctx: RequestContext,
  input: { id: string; name?: string | null; description?: string | null; defaultClassification?: string | null; ownerTeamId?: string | null },
): Promise<SpaceRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'space.update', resourceType: 'Space' }, async (tx) => {
    const id = idOf(input.id, 'Space');
    const patch = {
      ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
      ...(input.description !== undefined && { description: optionalText(input.description, 'description', { max: 2000 }) ?? null }),
      ...(input.defaultClassification != null && { defaultClassification: input.defaultClassification }),
      ...(input.ownerTeamId !== undefined && { ownerTeamId: await ownerTeam(tx, input.ownerTeamId) }),
    };
    if (patch.defaultClassification) checkClearance(viewer.clearance, patch.defaultClassification);
    const [current] = await spacesByIds(tx, viewer, [id]);
    if (!current) throw notFound('Space not found');
    const row = await updateSpace(tx, id, patch);
    return { result: row!, resourceIds: [id], detail: { fields: Object.keys(patch) } };
  });
}

export async function createCategory(
  ctx: RequestContext,
  input: { spaceId: string; parentId?: string | null; name: string; defaultClassification?: string | null },
): Promise<CategoryRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'category.create', resourceType: 'Category' }, async (tx) => {
    const spaceId = idOf(input.spaceId, 'Space');
    const parentId = input.parentId ? idOf(input.parentId, 'Category') : null;
    const name = text(input.name, 'name', { max: 100 });
    const [space] = await spacesByIds(tx, viewer, [spaceId]);
    if (!space) throw notFound('Space not found');
    let parent: CategoryRow | undefined;
    if (parentId) {
      [parent] = await categoriesByIds(tx, viewer, [parentId]);
      if (!parent) throw notFound('Parent category not found');
      if (parent.spaceId !== spaceId) throw badInput('The parent category is in another space', { argument: 'parentId' });
    }
    const defaultClassification = input.defaultClassification ?? parent?.defaultClassification ?? space.defaultClassification;
    checkClearance(viewer.clearance, defaultClassification);
    const row = await insertCategory(tx, { tenantId: viewer.tenantId, spaceId, parentId, name, defaultClassification });
    return { result: row, resourceIds: [row.id], detail: { spaceId, parentId } };
  });
}

/** Rename, reclassify or move a category within its space; a move below itself is refused. */
export async function editCategory(
  ctx: RequestContext,
  input: { id: string; name?: string | null; defaultClassification?: string | null; parentId?: string | null; moveToRoot?: boolean | null },
): Promise<CategoryRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'category.update', resourceType: 'Category' }, async (tx) => {
    const id = idOf(input.id, 'Category');
    if (input.parentId && input.moveToRoot) throw badInput('Give parentId or moveToRoot, not both', { argument: 'parentId' });
    const parentId = input.parentId ? idOf(input.parentId, 'Category') : undefined;
    const patch = {
      ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
      ...(input.defaultClassification != null && { defaultClassification: input.defaultClassification }),
      ...(parentId && { parentId }),
      ...(input.moveToRoot && { parentId: null }),
    };
    if (patch.defaultClassification) checkClearance(viewer.clearance, patch.defaultClassification);
    const [current] = await categoriesByIds(tx, viewer, [id]);
    if (!current) throw notFound('Category not found');
    if (parentId) {
      const [parent] = await categoriesByIds(tx, viewer, [parentId]);
      if (!parent) throw notFound('Parent category not found');
      if (parent.spaceId !== current.spaceId) throw badInput('A category moves only within its space', { argument: 'parentId' });
      if (await isInSubtree(tx, id, parentId)) {
        throw badInput('A category cannot move below itself', { argument: 'parentId', reason: 'CATEGORY_CYCLE' });
      }
    }
    const row = await updateCategory(tx, id, patch);
    return { result: row!, resourceIds: [id], detail: { fields: Object.keys(patch) } };
  });
}
