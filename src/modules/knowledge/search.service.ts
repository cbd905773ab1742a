import { createHash } from 'node:crypto';
import { badInput } from '../../lib/errors';
import { decodeTaggedCursor, encodeTaggedCursor } from '../../lib/cursor';
import { parsePage } from '../../lib/pagination';
import type { RequestContext } from '../../server/context';
import { articleFilterSql } from './article-filter';
import type { ArticleRow } from './article.repo';
import { parseArticleFilter, type ArticleFilterInput } from './filter.service';
import type { StepUp } from '../../authz/step-up';
import { searchCount, searchFacets, searchPage, viewerSearch, type SearchFacets } from './search.repo';
import { parseSearchQuery, snippetHtml } from './search-text';

export type SearchConnection = {
  edges: { cursor: string; node: ArticleRow; snippet: string | null; rank: number }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Matches counted up to `config.search.countLimit`; `capped` when there are more (totalCountIsCapped). */
  count: () => Promise<{ total: number; capped: boolean }>;
  /** Run on demand: one statement over all the matches. */
  facets: () => Promise<SearchFacets>;
};

const CURSOR_TAG = 'search';

const empty = (): SearchConnection => ({
  edges: [],
  pageInfo: { hasNextPage: false, endCursor: null },
  count: async () => ({ total: 0, capped: false }),
  facets: async () => ({ kinds: [], classifications: [], spaces: [] }),
});

/**
 * searchArticles: validated query → jieba terms → tsquery (a bound parameter) → one statement for the
 * page (with snippets), and when asked for, one for totalCount (counted up to a limit) and one for the
 * facets. All carry the policy's predicate, so neither a row, a count nor a snippet of an article the
 * viewer cannot read leaves SQL. At most `config.search.candidates` matches (the newest) are ranked.
 */
export async function searchArticles(
  ctx: RequestContext,
  args: { query: string; first?: number | null; after?: string | null; filter?: ArticleFilterInput | null },
  bodyStepUp: StepUp | undefined,
): Promise<SearchConnection> {
  const { limit } = parsePage({ first: args.first });
  const { tsquery, withoutBody } = parseSearchQuery(args.query);
  const viewer = await ctx.requireViewer();
  const filter = await parseArticleFilter(ctx, args.filter);
  // A cursor is bound to its search: the same terms and filter, else its position means nothing.
  const fingerprint = createHash('sha256').update(JSON.stringify([tsquery, filter])).digest('base64url').slice(0, 16);
  let after: { rank: string; id: string } | null = null;
  if (args.after) {
    const [fp, rank, id] = decodeTaggedCursor(args.after, CURSOR_TAG, ['text', 'real', 'uuid']) as string[];
    if (fp !== fingerprint) throw badInput('The cursor belongs to another search', { argument: 'after' });
    after = { rank, id };
  }
  if (!tsquery || !withoutBody) return empty();

  // The body's own step-up decides where the body may be matched, ranked and quoted (a snippet is derived from it).
  const q = viewerSearch(viewer, tsquery, withoutBody, bodyStepUp);
  const where = articleFilterSql(filter);
  const { candidates, countLimit } = ctx.services.config.search;
  const page = await ctx.withTx((tx) => searchPage(tx, viewer, q, where, { limit, after, candidates }));
  const rows = page.hits;
  const hits = rows.slice(0, limit);
  const edges = hits.map(({ rank, rankText, headline, searchBody: _s, bodyReadable: _b, ...node }) => {
    ctx.loaders.article.prime(node.id, node);
    return { cursor: encodeTaggedCursor(CURSOR_TAG, [fingerprint, rankText, node.id]), node, snippet: headline === null ? null : snippetHtml(headline), rank };
  });
  // A first page whose candidates are fewer than allowed holds every match: that is the count, no statement needed.
  let count: Promise<number> | undefined = after ? undefined : page.candidates === null ? Promise.resolve(0) : page.candidates < candidates ? Promise.resolve(page.candidates) : undefined;
  let facets: Promise<SearchFacets> | undefined;
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    count: async () => {
      const n = await (count ??= ctx.withTx((tx) => searchCount(tx, viewer, q, where, countLimit + 1)));
      return { total: Math.min(n, countLimit), capped: n > countLimit };
    },
    facets: () => (facets ??= ctx.withTx((tx) => searchFacets(tx, viewer, q, where))),
  };
}
