import { and, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { selectList } from '../../db/lateral';
import { PLAN_PER_CALL } from '../../db/prepare';
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

// Matched words are wrapped in control characters and turned into <mark> after HTML-escaping (search-text.ts).
// ShortWord=0: Chinese words are one or two characters and must not be trimmed from fragment edges.
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=40, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "`;

/** Candidate columns carried from the inner select to the page (the row, without the vector). */
const carried = sql.join(
  [...Object.keys(articleColumns), 'searchBody', 'bodyReadable'].map((k) => sql`c.${sql.identifier(k)}`),
  sql`, `,
);

/**
 * One page of matches, best first (ts_rank_cd, then id), with a highlighted passage of the body where
 * the viewer may read the body (null elsewhere: the passage never leaves SQL). A frequent word matches
 * thousands of articles, and ranking all of them cost seconds: only the `candidates` newest matches
 * (created_at order, so the scan stops there) are ranked. ts_headline runs on the page's rows only.
 * The statement is planned with its values: a rare word is best found through the full-text index, a
 * frequent one by reading the newest articles until enough match.
 */
export async function searchPage(
  tx: Tx,
  viewer: Viewer,
  q: ViewerSearch,
  filter: SQL | undefined,
  page: { limit: number; after: { rank: string; id: string } | null; candidates: number },
): Promise<{ hits: SearchHit[]; candidates: number | null }> {
  // A body that may not be read does not lift a row either: such rows are ranked without body words.
  const rank = sql`ts_rank_cd(c."vec", ${q.bodyReadable ? sql`case when c."bodyReadable" then ${tsq(q.tsquery)} else ${tsq(q.withoutBody)} end` : tsq(q.tsquery)})`;
  const after = page.after ? sql`where (${rank}, c."id") < (${page.after.rank}::real, ${page.after.id}::uuid)` : sql``;
  const headline = sql`ts_headline('simple', coalesce(p."searchBody", ''), ${tsq(q.tsquery)}, ${HEADLINE_OPTIONS})`;
  const readable = q.bodyReadable ?? sql`true`;
  const rows = await queryRows<SearchHit & { candidates: number | string }>(
    tx,
    sql`${sql.raw(PLAN_PER_CALL)}select p.*, case when p."bodyReadable" then ${headline} end as "headline"
        from (
          select ${carried}, ${rank} as "rank", (${rank})::text as "rankText", count(*) over () as "candidates"
          from (
            select ${selectList(articleColumns)}, ${articles.searchVector} as "vec", ${readable} as "bodyReadable",
                   case when ${readable} then ${articles.searchBody} end as "searchBody"
            from ${articles}
            where ${matches(viewer, q, filter)}
            order by ${articles.createdAt} desc, ${articles.id} desc
            limit ${page.candidates}
          ) c
          ${after}
          order by "rank" desc, c."id" desc
          limit ${page.limit + 1}
        ) p
        order by p."rank" desc, p."id" desc`,
  );
  // Every row carries how many candidates there were (before the cursor): fewer than asked for means all matches.
  return { hits: rows, candidates: rows.length ? Number(rows[0].candidates) : null };
}

/**
 * How many matches the viewer may read, counted up to `upTo`: the scan stops there, in whatever order
 * is cheapest (the number does not depend on which rows are counted), not a second full search.
 */
export async function searchCount(tx: Tx, viewer: Viewer, q: ViewerSearch, filter: SQL | undefined, upTo: number): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`${sql.raw(PLAN_PER_CALL)}select count(*)::int as n from (select 1 from ${articles} where ${matches(viewer, q, filter)} limit ${upTo}) m`,
  );
  return Number(row.n);
}

/** How all the matches the viewer may read spread over kinds, classifications and spaces (exact): one statement. */
export async function searchFacets(tx: Tx, viewer: Viewer, q: ViewerSearch, filter: SQL | undefined): Promise<SearchFacets> {
  const rows = await queryRows<{ gk: number; gc: number; kind: string; classification: string; spaceId: string | null; n: number }>(
    tx,
    sql`${sql.raw(PLAN_PER_CALL)}select grouping(${articles.kind}) as gk, grouping(${articles.classification}) as gc,
               ${articles.kind} as kind, ${articles.classification} as classification, ${articles.spaceId} as "spaceId", count(*)::int as n
        from ${articles}
        where ${matches(viewer, q, filter)}
        group by grouping sets ((${articles.kind}), (${articles.classification}), (${articles.spaceId}))`,
  );
  const facets: SearchFacets = { kinds: [], classifications: [], spaces: [] };
  for (const r of rows) {
    const [gk, gc] = [Number(r.gk), Number(r.gc)];
    if (!gk) facets.kinds.push({ kind: r.kind, count: Number(r.n) });
    else if (!gc) facets.classifications.push({ classification: r.classification, count: Number(r.n) });
    else facets.spaces.push({ spaceId: r.spaceId, count: Number(r.n) });
  }
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  facets.kinds.sort(byCount);
  facets.classifications.sort(byCount);
  facets.spaces.sort(byCount);
  return facets;
}
