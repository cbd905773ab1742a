import type { Request } from 'express';
import type { AccessClaims } from '../authn/tokens';
import { RequestContext, type ClientInfo } from './context';
import { requestLog } from './http-log';
import type { Services } from './services';

/** Verify a bearer token without touching the database; the session is checked when the viewer loads. */
export async function verifyBearer(services: Services, header: unknown): Promise<{ claims: AccessClaims | null; failure?: string }> {
  if (typeof header !== 'string' || header === '') return { claims: null };
  // The scheme name is case-insensitive (RFC 7235 section 2.1).
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
  if (!match) return { claims: null, failure: 'Malformed Authorization header' };
  try {
    return { claims: await services.tokens.verifyAccess(match[1]) };
  } catch {
    return { claims: null, failure: 'Invalid or expired access token' };
  }
}

export async function httpContext(services: Services, req: Request): Promise<RequestContext> {
  const { claims, failure } = await verifyBearer(services, req.headers.authorization);
  const client: ClientInfo = { ip: req.ip, userAgent: req.headers['user-agent'] };
  return new RequestContext(services, claims, failure, client, 'request', requestLog(req));
}
