import { createHash } from 'node:crypto';

/** The SHA-256 of a document's exact text, lower-case hex: its id (as Apollo's persisted queries compute it). */
export const documentHash = (document: string): string => createHash('sha256').update(document).digest('hex');

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A document id as clients send it: the hex digest (`extensions.persistedQuery.sha256Hash`) or, per the
 * GraphQL-over-HTTP persisted documents convention, `sha256:<hex>`. Undefined when it is neither.
 */
export function parseDocumentId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return SHA256_HEX.test(hex) ? hex : undefined;
}

/**
 * A manifest as graphql-codegen's client preset writes it (`persistedDocuments: { hashAlgorithm:
 * 'sha256' }` makes `persisted-documents.json`): `{ "<sha256 hex>": "<document>" }`. Every key must be
 * the SHA-256 of its document, or the manifest is refused whole: a wrong hash could never be sent.
 */
export function parseManifest(json: string): { hash: string; document: string }[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`the manifest is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the manifest must be a JSON object of { "<sha256>": "<document>" }');
  const entries: { hash: string; document: string }[] = [];
  for (const [key, document] of Object.entries(value)) {
    if (typeof document !== 'string' || document.trim() === '') throw new Error(`entry ${key}: the document must be a non-empty string`);
    const hash = parseDocumentId(key);
    if (!hash || hash !== documentHash(document)) {
      throw new Error(`entry ${key}: the key is not the SHA-256 of its document (codegen's client preset hashes with sha1 unless told hashAlgorithm: 'sha256')`);
    }
    entries.push({ hash, document });
  }
  return entries;
}
