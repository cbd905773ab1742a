import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import type { ArticleFilterValues } from './article-filter';
import { tagNames } from './article.input';

export type ArticleFilterInput = {
  spaceId?: string | null;
  categoryId?: string | null;
  includeSubcategories?: boolean | null;
  kinds?: readonly string[] | null;
  statuses?: readonly string[] | null;
  classifications?: readonly string[] | null;
  tags?: readonly string[] | null;
};

const MAX_VALUES = 10;

const list = (values: readonly string[] | null | undefined, argument: string) => {
  if (!values?.length) return undefined;
  if (values.length > MAX_VALUES) throw badInput(`${argument} takes at most ${MAX_VALUES} values`, { argument });
  return [...new Set(values)];
};

/**
 * Validate a filter: malformed ids are BAD_USER_INPUT, spaces and categories the viewer cannot see are
 * NOT_FOUND (through the loaders, so the check costs one statement however many filters a request has).
 */
export async function parseArticleFilter(ctx: RequestContext, input: ArticleFilterInput | null | undefined): Promise<ArticleFilterValues> {
  if (!input) return {};
  const spaceId = input.spaceId ? idOf(input.spaceId, 'Space') : undefined;
  const categoryId = input.categoryId ? idOf(input.categoryId, 'Category') : undefined;
  const [space, category] = await Promise.all([
    spaceId ? ctx.loaders.space.load(spaceId) : undefined,
    categoryId ? ctx.loaders.category.load(categoryId) : undefined,
  ]);
  if (spaceId && !space) throw notFound('Space not found');
  if (categoryId && !category) throw notFound('Category not found');
  return {
    spaceId,
    categoryId,
    includeSubcategories: input.includeSubcategories ?? true,
    kinds: list(input.kinds, 'kinds'),
    statuses: list(input.statuses, 'statuses'),
    classifications: list(input.classifications, 'classifications'),
    tags: input.tags?.length ? tagNames(input.tags) : undefined,
  };
}
