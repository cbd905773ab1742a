import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** Opaque global id (Relay): base64url of "Type:uuid". */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function parseGlobalId(globalId: string): { type: string; id: string } {
  const decoded = globalId.length <= 200 ? Buffer.from(globalId, 'base64url').toString('utf8') : '';
  const sep = decoded.indexOf(':');
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (sep <= 0 || !isUuid(id) || toGlobalId(type, id) !== globalId) throw badInput('Malformed id', { argument: 'id' });
  return { type, id: id.toLowerCase() };
}

/** The uuid behind a global id that must name an object of `type`. */
export function idOf(globalId: string, type: string): string {
  const parsed = parseGlobalId(globalId);
  if (parsed.type !== type) throw badInput(`Expected an id of a ${type}`, { argument: 'id' });
  return parsed.id;
}
