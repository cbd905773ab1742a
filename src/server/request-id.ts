import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A caller's X-Request-Id is kept when it is a plain token: no spaces or quotes, nothing to inject into a log line. */
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** W3C Trace Context: version-traceid-parentid-flags, lowercase hex; all-zero ids are invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

function traceId(header: string): string | undefined {
  const m = TRACEPARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (m[1] === '00' && header.trim().length !== 55) return undefined;
  return m[2];
}

/**
 * The id a request is logged, answered and audited under: the caller's X-Request-Id if sane, else the
 * trace id of a valid `traceparent` (so logs join the caller's trace), else a new UUID.
 */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  if (typeof given === 'string' && SANE_ID.test(given)) return given;
  const parent = headers.traceparent;
  const fromTrace = typeof parent === 'string' ? traceId(parent) : undefined;
  return fromTrace ?? randomUUID();
}
