import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { badInput } from '../../lib/errors';

/**
 * Text for PostgreSQL full-text search in Chinese and English. PostgreSQL's parser does not segment
 * Chinese (a run of Han characters is one "word"), so jieba cuts text into words at write time and the
 * words are joined with U+001F, which the `simple` configuration treats as a separator on PostgreSQL
 * and PGlite alike. Queries are cut the same way, so both sides agree on what a word is.
 */

/** Word separator in segmented text; never part of a word, removed from snippets. */
export const WORD_SEPARATOR = '\u001f';
/** ts_headline's StartSel/StopSel: control characters that cannot survive in stored text (see `clean`). */
export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

export const MAX_QUERY_LENGTH = 200;
export const MAX_QUERY_TERMS = 16;

let jieba: Jieba | undefined;
/** The segmenter, with jieba's bundled dictionary, built once per process on first use. */
const segmenter = (): Jieba => (jieba ??= Jieba.withDict(dict));

// Our separators and markers are control characters; drop every C0 control except tab and newlines.
// eslint-disable-next-line no-control-regex
const clean = (text: string) => text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');

const WORDISH = /[\p{L}\p{N}]/u;

/** Fields written beside an article so PostgreSQL can search it: never internal notes. */
export type SearchDocument = {
  /** Title words, for `to_tsvector('simple', …)` with weight A. */
  title: string;
  /** Body words (search mode: long words also give their parts), weight B. */
  body: string;
  /** Tag words, weight C. */
  tags: string;
  /** The body in precise word order with separators, for ts_headline. */
  headline: string;
};

/** Words of a text for the index: NFKC (full-width to ASCII), jieba search mode, word tokens only. */
function indexWords(text: string): string {
  return segmenter()
    .cutForSearch(clean(text).normalize('NFKC'), true)
    .filter((w) => WORDISH.test(w))
    .join(WORD_SEPARATOR);
}

export function searchDocument(article: { title: string; body: string; tags?: readonly string[] }): SearchDocument {
  return {
    title: indexWords(article.title),
    body: indexWords(article.body),
    tags: indexWords((article.tags ?? []).join(' ')),
    // Every token, punctuation and spaces included, so removing the separators gives the body back.
    headline: segmenter().cut(clean(article.body), true).join(WORD_SEPARATOR),
  };
}

/** English and Chinese function words that would only narrow an AND query. */
const STOP_WORDS = new Set(['a', 'an', 'the', 'to', 'of', 'for', 'and', 'or', 'in', 'on', 'at', 'is', 'are', 'be', 'by', 'with', '的', '了', '和', '与', '及', '或', '是', '在']);

/** A query's search terms: cut by jieba, only letters and digits, lower case, without duplicates. */
export function queryTerms(query: string): string[] {
  const words = segmenter()
    .cut(clean(query).normalize('NFKC').toLowerCase(), true)
    .flatMap((w) => w.split(/[^\p{L}\p{N}]+/u))
    .filter((w) => w.length > 0);
  const unique = [...new Set(words)];
  const meaningful = unique.filter((w) => !STOP_WORDS.has(w));
  return (meaningful.length ? meaningful : unique).slice(0, MAX_QUERY_TERMS);
}

/**
 * The text of a `to_tsquery('simple', $1)` parameter: every term quoted, AND-ed, prefix-matched unless
 * it is a number or one letter. Terms hold only letters and digits, so no tsquery operator, quote or
 * backslash from the user survives; the text is still sent as a bound parameter, never spliced into SQL.
 * Null when nothing searchable is left (a query of only punctuation or emoji).
 */
export function toTsquery(terms: readonly string[], weights = ''): string | null {
  if (terms.length === 0) return null;
  return terms
    .map((t) => {
      const quoted = `'${t.replace(/['\\]/g, (c) => c + c)}'`;
      return /^\p{N}+$/u.test(t) || t.length < 2 ? (weights ? `${quoted}:${weights}` : quoted) : `${quoted}:*${weights}`;
    })
    .join(' & ');
}

/** The weights an article's words are indexed with (setweight in article.repo.ts). */
export const SEARCH_WEIGHTS = { title: 'A', body: 'B', tags: 'C' } as const;
/** Query weights that leave the body out: a match there would tell the body's words. */
export const WITHOUT_BODY = `${SEARCH_WEIGHTS.title}${SEARCH_WEIGHTS.tags}`;

/** Validate a search string: BAD_USER_INPUT when empty or too long; the tsquery text otherwise. */
export function parseSearchQuery(query: string): { terms: string[]; tsquery: string | null; withoutBody: string | null } {
  const trimmed = query.trim();
  if (trimmed.length === 0) throw badInput('query must not be empty', { argument: 'query' });
  if ([...trimmed].length > MAX_QUERY_LENGTH) {
    throw badInput(`query must be at most ${MAX_QUERY_LENGTH} characters`, { argument: 'query', max: MAX_QUERY_LENGTH });
  }
  const terms = queryTerms(trimmed);
  return { terms, tsquery: toTsquery(terms), withoutBody: toTsquery(terms, WITHOUT_BODY) };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * ts_headline output as safe HTML: the word separators removed, the article's own text escaped, and the
 * matched words in <mark>. The markers are control characters the stored text cannot contain.
 */
export function snippetHtml(headline: string): string {
  return headline
    .split(WORD_SEPARATOR)
    .join('')
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
    .split(MARK_START)
    .join('<mark>')
    .split(MARK_END)
    .join('</mark>');
}
