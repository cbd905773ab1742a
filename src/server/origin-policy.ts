import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import cors from 'cors';
import type { Config } from '../config';

type Policy = Config['allowedOrigins'];

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a browser page at `origin` may call this server. No Origin header (curl, server-to-server
 * clients, non-browser WebSocket clients) is allowed: the policy is about pages in a user's browser.
 * The server's own host (Origin's host equal to the Host header) is same-origin and always allowed;
 * `Origin: null` (sandboxed frames, file://) never is, unless listed.
 */
export function originAllowed(policy: Policy, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (policy.origins.includes(url.origin)) return true;
  if (policy.loopback && LOOPBACK.has(url.hostname)) return true;
  return host !== undefined && sameHost(url, host);
}

/** The Host header, normalized the way URL normalizes the origin's host (default port dropped, lower case). */
function sameHost(origin: URL, host: string): boolean {
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host;
  } catch {
    return false;
  }
}

const allowedRequest = (policy: Policy, req: IncomingMessage) => originAllowed(policy, req.headers.origin, req.headers.host);

/**
 * For /graphql: a request from a page at a disallowed origin is refused with 403 and a GraphQL-shaped
 * FORBIDDEN_ORIGIN error, before its body is read (preflights included, so the browser gets no
 * Access-Control-Allow-Origin); allowed origins get CORS headers reflecting them.
 */
export function originGuard(policy: Policy): RequestHandler[] {
  const refuse: RequestHandler = (req, res, next) => {
    if (allowedRequest(policy, req)) return next();
    res.vary('Origin');
    res.status(403).json({ errors: [{ message: 'Origin not allowed', extensions: { code: 'FORBIDDEN_ORIGIN' } }] });
  };
  // Browsers may read whether a response was replayed, and when to retry.
  const exposedHeaders = ['Idempotent-Replayed', 'Retry-After'];
  return [refuse, cors<cors.CorsRequest>((req, callback) => callback(null, { origin: allowedRequest(policy, req as IncomingMessage), exposedHeaders }))];
}

/** ws's verifyClient: the same policy on the WebSocket upgrade, refused with HTTP 403 before graphql-ws sees the socket. */
export const verifyOrigin =
  (policy: Policy) =>
  (info: { req: IncomingMessage }, done: (allowed: boolean, code?: number, message?: string) => void): void =>
    allowedRequest(policy, info.req) ? done(true) : done(false, 403, 'Origin not allowed');
