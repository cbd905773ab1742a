import { and, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { selectList } from '../../db/lateral';
import { queryRows } from '../../db/rows';
import { articles } from '../../db/schema';
import { articleReadPredicate } from '../../authz/predicates';
import { stepUpPassedSql, type StepUp } from '../../authz/step-up';
import type { Viewer } from '../../authz/viewer';
import { articleColumns, type ArticleRow } from './article.repo';
import { MARK_END, MARK_START } from './search-text';

export type SearchHit = ArticleRow & { rank: number; rankText: string; headline: string | null; searchBody: string | null; bodyReadable?: boolean };
export type SearchFacets = {
  kinds: { kind: string; count: number }[];
  classifications: { classification: string; count: number }[];
  spaces: SpaceCountRow[];
};
export type SpaceCountRow = { spaceId: string | null; count: number };

const tsq = (tsquery: string) => sql`to_tsquery('simple', ${tsquery})`;

/**
 * A search as the viewer may run it: the full query on articles whose body the viewer may read, the
 * query without body words on the others (a CONFIDENTIAL article before step-up). `bodyReadable`
 * undefined means every article's body.
 */
export type ViewerSearch = { tsquery: string; withoutBody: string; bodyReadable: SQL | undefined };

/** The search this viewer may run: the body's step-up (the schema's, passed in) decides where body words count. */
export const viewerSearch = (viewer: Viewer, tsquery: string, withoutBody: string, bodyStepUp: StepUp | undefined): ViewerSearch => ({
  tsquery,
  withoutBody,
  bodyReadable: bodyStepUp ? stepUpPassedSql(viewer, bodyStepUp, articles.classification) : undefined,
});

/** Matches the viewer may read, on words the viewer may read: the policy's predicate is inside every search statement. */
function matches(viewer: Viewer, q: ViewerSearch, filter: SQL | undefined) {
  const match = q.bodyReadable
    ? sql`(${articles.searchVector} @@ ${tsq(q.withoutBody)} or (${q.bodyReadable} and ${articles.searchVector} @@ ${tsq(q.tsquery)}))`
    : sql`${articles.searchVector} @@ ${tsq(q.tsquery)}`;
  return and(match, articleReadPredicate(viewer, articles), filter)!;
}

/** The query a row is ranked by: a body that may not be read does not lift a row either. */
const rowQuery = (q: ViewerSearch) => (q.bodyReadable ? sql`(case when ${q.bodyReadable} then ${tsq(q.tsquery)} else ${tsq(q.withoutBody)} end)` : tsq(q.tsquery));

// Matched words are wrapped in control characters and turned into <mark> after HTML-escaping (search-text.ts).
// ShortWord=0: Chinese words are one or two characters and must not be trimmed from fragment edges.
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=40, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * One page of matches, best first (ts_rank_cd, then id), with a highlighted passage of the body where
 * the viewer may read the body (null elsewhere: the passage never leaves SQL).
 * ts_headline runs in the outer query, on the page's rows only, all of which the viewer may read.
 */
export async function searchPage(
  tx: Tx,
  viewer: Viewer,
  q: ViewerSearch,
  filter: SQL | undefined,
  page: { limit: number; after: { rank: string; id: string } | null },
): Promise<SearchHit[]> {
  const rank = sql`ts_rank_cd(${articles.searchVector}, ${rowQuery(q)})`;
  const after = page.after ? sql`(${rank}, ${articles.id}) < (${page.after.rank}::real, ${page.after.id}::uuid)` : undefined;
  const headline = sql`ts_headline('simple', coalesce(p."searchBody", ''), ${tsq(q.tsquery)}, ${HEADLINE_OPTIONS})`;
  return queryRows<SearchHit>(
    tx,
    sql`select p.*, ${q.bodyReadable ? sql`case when p."bodyReadable" then ${headline} end` : headline} as "headline"
        from (
          select ${selectList(articleColumns)}, ${rank} as "rank", (${rank})::text as "rankText",
                 ${q.bodyReadable ? sql`case when ${q.bodyReadable} then ${articles.searchBody} end` : articles.searchBody} as "searchBody"
                 ${q.bodyReadable ? sql`, ${q.bodyReadable} as "bodyReadable"` : sql``}
          from ${articles}
          where ${and(matches(viewer, q, filter), after)}
          order by ${rank} desc, ${articles.id} desc
          limit ${page.limit + 1}
        ) p
        order by p."rank" desc, p."id" desc`,
  );
}

/** How many matches the viewer may read, and how they spread over kinds, classifications and spaces: one statement. */
export async function searchSummary(tx: Tx, viewer: Viewer, q: ViewerSearch, filter: SQL | undefined): Promise<{ total: number; facets: SearchFacets }> {
  const rows = await queryRows<{ gk: number; gc: number; gs: number; kind: string; classification: string; spaceId: string | null; n: number }>(
    tx,
    sql`select grouping(${articles.kind}) as gk, grouping(${articles.classification}) as gc, grouping(${articles.spaceId}) as gs,
               ${articles.kind} as kind, ${articles.classification} as classification, ${articles.spaceId} as "spaceId", count(*)::int as n
        from ${articles}
        where ${matches(viewer, q, filter)}
        group by grouping sets ((), (${articles.kind}), (${articles.classification}), (${articles.spaceId}))`,
  );
  const facets: SearchFacets = { kinds: [], classifications: [], spaces: [] };
  let total = 0;
  for (const r of rows) {
    const [gk, gc, gs] = [Number(r.gk), Number(r.gc), Number(r.gs)];
    if (gk && gc && gs) total = Number(r.n);
    else if (!gk) facets.kinds.push({ kind: r.kind, count: Number(r.n) });
    else if (!gc) facets.classifications.push({ classification: r.classification, count: Number(r.n) });
    else facets.spaces.push({ spaceId: r.spaceId, count: Number(r.n) });
  }
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  facets.kinds.sort(byCount);
  facets.classifications.sort(byCount);
  facets.spaces.sort(byCount);
  return { total, facets };
}
