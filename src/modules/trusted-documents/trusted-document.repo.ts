import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { trustedDocuments } from '../../db/schema';

export async function findTrustedDocument(ex: Executor, hash: string): Promise<string | undefined> {
  const [row] = await ex.select({ document: trustedDocuments.document }).from(trustedDocuments).where(eq(trustedDocuments.hash, hash));
  return row?.document;
}

/**
 * Register documents (as the database owner: the application role may only read them). A hash already
 * registered keeps its entry, which is the same text. Returns how many were new.
 */
export async function insertTrustedDocuments(ex: Executor, entries: { hash: string; document: string }[], client: string | null): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await ex
    .insert(trustedDocuments)
    .values(entries.map((e) => ({ ...e, client })))
    .onConflictDoNothing()
    .returning({ hash: trustedDocuments.hash });
  return rows.length;
}
