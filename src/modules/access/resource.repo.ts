import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { RESOURCE_TYPES, isResourceType, type ResourceType } from '../../authz/resources';
import type { Resource } from '../../authz/policy';
import { badInput, notFound } from '../../lib/errors';
import { parseGlobalId } from '../../lib/global-id';

/**
 * The policy's view of a protected resource by global id, whatever the caller may read (explain and
 * grant need the real row). Row-level security still confines it to the caller's tenant: another
 * tenant's id is NOT_FOUND.
 */
export async function loadResource(tx: Tx, globalId: string): Promise<Resource & { type: ResourceType }> {
  const { type, id } = parseGlobalId(globalId);
  if (!isResourceType(type)) throw badInput(`${type} is not a resource that access can be granted on`, { argument: 'resourceId' });
  const spec = RESOURCE_TYPES[type];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const [row] = await tx.select().from(spec.table as any).where(eq(spec.columns.id, id));
  if (!row) throw notFound(`${type} not found`);
  return { ...spec.fromRow(row as Record<string, unknown>), type };
}
