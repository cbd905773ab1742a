import { classificationRank, type Classification } from '../../authz/permissions';
import { badInput, forbidden } from '../../lib/errors';
import { text } from '../../lib/validate';
import type { ArticleRow } from './article.repo';

/** Validation of article input and the versioned state of an article (what a version records). */

export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 40;
export const MAX_RELATED = 20;
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;

export function checkClearance(clearance: Classification, classification: string) {
  if (classificationRank(classification) > classificationRank(clearance)) {
    throw forbidden(`Your clearance (${clearance}) does not allow ${classification} articles`);
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Tag names: trimmed, NFKC, 1–40 characters without control characters, at most 10, duplicates dropped. */
export function tagNames(names: readonly string[]): string[] {
  const out = [...new Set(names.map((n) => n.normalize('NFKC').trim()))];
  if (out.length > MAX_TAGS) throw badInput(`at most ${MAX_TAGS} tags`, { argument: 'tags', max: MAX_TAGS });
  for (const n of out) {
    if (n.length === 0 || n.length > MAX_TAG_LENGTH || CONTROL.test(n)) {
      throw badInput(`a tag must be 1 to ${MAX_TAG_LENGTH} characters without control characters`, { argument: 'tags' });
    }
  }
  return out;
}

export type AttachmentInput = { fileName: string; contentType: string; sizeBytes: number; sha256: string };

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/i;

export function attachmentFields(input: AttachmentInput) {
  const fileName = text(input.fileName, 'fileName', { max: 255 });
  if (CONTROL.test(fileName) || /[/\\]/.test(fileName) || fileName === '.' || fileName === '..') {
    throw badInput('fileName must be a plain file name without path separators or control characters', { argument: 'fileName' });
  }
  const contentType = input.contentType.trim().toLowerCase();
  if (!CONTENT_TYPE.test(contentType)) throw badInput('contentType must be a media type such as application/pdf', { argument: 'contentType' });
  if (!Number.isInteger(input.sizeBytes) || input.sizeBytes < 0 || input.sizeBytes > MAX_ATTACHMENT_BYTES) {
    throw badInput(`sizeBytes must be between 0 and ${MAX_ATTACHMENT_BYTES}`, { argument: 'sizeBytes', max: MAX_ATTACHMENT_BYTES });
  }
  if (!/^[0-9a-f]{64}$/i.test(input.sha256)) throw badInput('sha256 must be 64 hexadecimal digits', { argument: 'sha256' });
  return { fileName, contentType, sizeBytes: input.sizeBytes, sha256: input.sha256.toLowerCase() };
}

/** What a version records of an article, field by field. */
export type ArticleState = Pick<ArticleRow, 'title' | 'body' | 'internalNotes' | 'classification' | 'status' | 'kind' | 'spaceId' | 'categoryId' | 'ownerTeamId'> & {
  tags: string[];
};

export const VERSIONED_FIELDS = ['title', 'body', 'internalNotes', 'classification', 'status', 'kind', 'spaceId', 'categoryId', 'ownerTeamId', 'tags'] as const;

export const stateOf = (row: ArticleRow, tags: readonly string[]): ArticleState => ({
  title: row.title,
  body: row.body,
  internalNotes: row.internalNotes,
  classification: row.classification,
  status: row.status,
  kind: row.kind,
  spaceId: row.spaceId,
  categoryId: row.categoryId,
  ownerTeamId: row.ownerTeamId,
  tags: [...tags].sort(),
});

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Fields that differ between two states; every non-empty field for a first version. */
export function changedFields(prev: ArticleState | null, next: ArticleState): string[] {
  return VERSIONED_FIELDS.filter((f) =>
    prev ? !same(prev[f], next[f]) : next[f] !== null && !(Array.isArray(next[f]) && (next[f] as unknown[]).length === 0),
  );
}
