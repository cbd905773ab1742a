import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';

/**
 * OpenID Connect relying party: ID-token verification (OIDC Core §3.1.3.7) with jose against the
 * provider's JWKS, and the authorization-code exchange with PKCE (RFC 7636). Only the configured
 * jwks_uri and token endpoint are ever fetched: jose ignores jku, x5u and jwk in token headers, and an
 * unknown kid only refetches the configured key set (rate-limited by jose's cooldown).
 */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export type ProviderSettings = { issuer: string; clientId: string; clientSecret: string | null; tokenEndpoint: string; jwksUri: string; algorithms: string[] };

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function keySet(jwksUri: string) {
  let set = keySets.get(jwksUri);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    if (keySets.size > 1000) keySets.clear();
    keySets.set(jwksUri, set);
  }
  return set;
}

export class IdTokenRejected extends Error {}

const sameString = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function verifyIdToken(token: string, provider: ProviderSettings, nonce: string): Promise<JWTPayload> {
  const algorithms = provider.algorithms.filter((a) => (ALLOWED_ALGORITHMS as readonly string[]).includes(a));
  if (token.length > 16_384 || algorithms.length === 0) throw new IdTokenRejected('unacceptable token or settings');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(provider.jwksUri), {
      algorithms,
      issuer: provider.issuer,
      audience: provider.clientId,
      requiredClaims: ['sub', 'iat', 'exp', 'nonce'],
      clockTolerance: 30,
      maxTokenAge: '1h',
    }));
  } catch (err) {
    const code = err instanceof joseErrors.JOSEError ? err.code : 'ERR_UNKNOWN';
    throw new IdTokenRejected(code);
  }
  // Several audiences: the authorized party must be us (OIDC Core §3.1.3.7, items 4 and 5).
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== provider.clientId) throw new IdTokenRejected('azp mismatch');
  if (typeof payload.nonce !== 'string' || !sameString(payload.nonce, nonce)) throw new IdTokenRejected('nonce mismatch');
  return payload;
}

export const newPkceVerifier = (): string => randomBytes(32).toString('base64url');
export const pkceChallenge = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');
export const randomToken = (): string => randomBytes(24).toString('base64url');

/** The authorization-code grant (RFC 6749 §4.1.3) with the PKCE verifier; returns the ID token. */
export async function exchangeCode(provider: ProviderSettings, code: string, redirectUri: string, codeVerifier: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (provider.clientSecret) {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(provider.clientId)}:${enc(provider.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', provider.clientId);
  }
  const res = await fetch(provider.tokenEndpoint, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(5000) });
  const json = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
  if (!res.ok || typeof json.id_token !== 'string') throw new IdTokenRejected(`token endpoint: ${typeof json.error === 'string' ? json.error : res.status}`);
  return json.id_token;
}
