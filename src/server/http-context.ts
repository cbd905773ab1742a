import type { Request } from 'express';
import { errors as joseErrors } from 'jose';
import { sessionEnded, type AuthFailure } from '../authn/session-end';
import type { AccessClaims } from '../authn/tokens';
import { RequestContext, type ClientInfo } from './context';
import { requestLog } from './http-log';
import type { Services } from './services';

/** Verify a bearer token without touching the database; the session is checked when the viewer loads. */
export async function verifyBearer(services: Services, header: unknown): Promise<{ claims: AccessClaims | null; failure?: AuthFailure }> {
  if (typeof header !== 'string' || header === '') return { claims: null };
  // The scheme name is case-insensitive (RFC 7235 section 2.1).
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
  if (!match) return { claims: null, failure: { message: 'Malformed Authorization header' } };
  try {
    return { claims: await services.tokens.verifyAccess(match[1]) };
  } catch (err) {
    // jose checks the signature before the clock: an expired token is one we issued, and its holder may
    // be told so. Any other failure (forged, altered, wrong audience) stays unexplained.
    if (err instanceof joseErrors.JWTExpired) return { claims: null, failure: sessionEnded('EXPIRED') };
    return { claims: null, failure: { message: 'Invalid or expired access token' } };
  }
}

export async function httpContext(services: Services, req: Request): Promise<RequestContext> {
  const { claims, failure } = await verifyBearer(services, req.headers.authorization);
  const client: ClientInfo = { ip: req.ip, userAgent: req.headers['user-agent'] };
  return new RequestContext(services, claims, failure, client, 'request', requestLog(req));
}
