import { createHash } from 'node:crypto';
import { documentHash, parseDocumentId, parseManifest } from '../../src/modules/trusted-documents/manifest';

describe('trusted document manifests', () => {
  const doc = 'query Me { me { user { email } } }';
  const sha256 = createHash('sha256').update(doc).digest('hex');

  it('hashes the exact text with SHA-256 (as Apollo does for persisted queries)', () => {
    expect(documentHash(doc)).toBe(sha256);
    expect(documentHash(`${doc} `)).not.toBe(sha256);
  });

  it('reads a codegen client-preset manifest keyed by SHA-256, with or without the sha256: prefix', () => {
    expect(parseManifest(JSON.stringify({ [sha256]: doc }))).toEqual([{ hash: sha256, document: doc }]);
    expect(parseManifest(JSON.stringify({ [`sha256:${sha256}`]: doc }))).toEqual([{ hash: sha256, document: doc }]);
    expect(parseManifest('{}')).toEqual([]);
  });

  it('refuses the whole manifest when a key is not the SHA-256 of its document (a sha1 manifest, say)', () => {
    const sha1 = createHash('sha1').update(doc).digest('hex');
    expect(() => parseManifest(JSON.stringify({ [sha256]: doc, [sha1]: doc }))).toThrow(/not the SHA-256 of its document.*hashAlgorithm: 'sha256'/);
    expect(() => parseManifest(JSON.stringify({ [sha256]: `${doc}\n` }))).toThrow(/not the SHA-256/);
    expect(() => parseManifest(JSON.stringify({ [sha256]: 42 }))).toThrow(/non-empty string/);
    expect(() => parseManifest('[]')).toThrow(/JSON object/);
    expect(() => parseManifest('{')).toThrow(/not JSON/);
  });

  it('accepts document ids only as 64 lower-case hex digits, optionally prefixed sha256:', () => {
    expect(parseDocumentId(`sha256:${sha256}`)).toBe(sha256);
    expect(parseDocumentId(sha256)).toBe(sha256);
    for (const bad of [sha256.toUpperCase(), `sha1:${sha256}`, sha256.slice(1), 42, undefined, `sha256:`]) expect(parseDocumentId(bad)).toBeUndefined();
  });
});
