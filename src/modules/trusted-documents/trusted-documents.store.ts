import type { Database } from '../../db/client';
import { withTenantTx } from '../../db/tenant-tx';
import { findTrustedDocument } from './trusted-document.repo';

/** Registered documents never change (the key is the hash of the text), so a hit is kept for good. */
const MAX_CACHED = 10_000;
/** How long an unknown hash is remembered as unknown: a document registered meanwhile is seen after this. */
export const UNKNOWN_TTL_MS = 10_000;

/** The registered documents, read through a per-process cache; one store per database. */
export class TrustedDocumentStore {
  private readonly known = new Map<string, string>();
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly database: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async get(hash: string): Promise<string | undefined> {
    const hit = this.known.get(hash);
    if (hit !== undefined) return hit;
    const until = this.unknown.get(hash);
    if (until !== undefined && until > this.now()) return undefined;
    const document = await withTenantTx(this.database.db, null, (tx) => findTrustedDocument(tx, hash));
    const cache = document === undefined ? this.unknown : this.known;
    // Bounded: a flood of random hashes empties the cache rather than growing it.
    if (cache.size >= MAX_CACHED) cache.clear();
    if (document === undefined) this.unknown.set(hash, this.now() + UNKNOWN_TTL_MS);
    else this.known.set(hash, document);
    return document;
  }
}

const stores = new WeakMap<Database, TrustedDocumentStore>();

/** The store of this database (shared by the HTTP and WebSocket paths). */
export function trustedDocumentStore(database: Database): TrustedDocumentStore {
  let store = stores.get(database);
  if (!store) stores.set(database, (store = new TrustedDocumentStore(database)));
  return store;
}
