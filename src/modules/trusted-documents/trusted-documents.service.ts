import type { Executor } from '../../db/client';
import { parseManifest } from './manifest';
import { insertTrustedDocuments } from './trusted-document.repo';

/**
 * Register every document of a manifest (refused whole if any entry is wrong), as the database owner.
 * Returns how many entries it had and how many were not registered before.
 */
export async function registerManifest(ex: Executor, json: string, client: string | null): Promise<{ entries: number; added: number }> {
  const entries = parseManifest(json);
  return { entries: entries.length, added: await insertTrustedDocuments(ex, entries, client) };
}
