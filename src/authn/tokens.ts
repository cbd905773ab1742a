import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Config } from '../config';
import { isUuid } from '../lib/global-id';
import type { SigningKeys } from './keys';

/** Claims of a Warden access token (a JWT profile after RFC 9068). */
export type AccessClaims = { sub: string; sid: string; tid: string; exp: number; iat: number };

const TYP = 'at+jwt';

/** Verified tokens kept per process; past this the oldest is dropped (a token is a few hundred bytes). */
const MAX_VERIFIED = 10_000;

export class TokenService {
  /**
   * Tokens this process has verified, until they expire: the EdDSA signature check is most of a
   * request's authentication cost, and a token's signature and claims cannot change. Only successes
   * are kept; the session behind a token is still looked up (and may be revoked) on every request.
   */
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly jwt: Config['jwt'],
  ) {}

  get accessTtl(): number {
    return this.jwt.accessTtl;
  }

  async signAccess(claims: { sub: string; sid: string; tid: string }): Promise<string> {
    return new SignJWT({ sid: claims.sid, tid: claims.tid })
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP, kid: this.keys.kid })
      .setIssuer(this.jwt.issuer)
      .setAudience(this.jwt.audience)
      .setSubject(claims.sub)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${this.jwt.accessTtl}s`)
      .sign(this.keys.privateKey);
  }

  /**
   * Verify signature (EdDSA only: no `none`, no HMAC confusion), typ, iss, aud, exp and the claims Warden
   * needs. The key is ours alone: nothing in the token header (jku, x5u, jwk) is ever followed.
   */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      // The checks that depend on the clock, as jwtVerify makes them (exp, maxTokenAge); time only moves on.
      const now = Math.floor(Date.now() / 1000);
      if (known.exp > now && now - known.iat <= this.jwt.accessTtl + 60) return { ...known };
      this.verified.delete(token);
    }
    const claims = await this.verifySignedAccess(token);
    if (this.verified.size >= MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return { ...claims };
  }

  private async verifySignedAccess(token: string): Promise<AccessClaims> {
    const { payload } = await jwtVerify(token, this.keys.publicKey, {
      algorithms: ['EdDSA'],
      typ: TYP,
      issuer: this.jwt.issuer,
      audience: this.jwt.audience,
      requiredClaims: ['sub', 'sid', 'tid', 'exp', 'iat'],
      maxTokenAge: `${this.jwt.accessTtl + 60}s`,
    });
    const { sub, sid, tid, exp, iat } = payload as Record<string, unknown>;
    if (![sub, sid, tid].every((v) => typeof v === 'string' && isUuid(v))) {
      throw new joseErrors.JWTClaimValidationFailed('malformed subject, session or tenant', payload);
    }
    return { sub: sub as string, sid: sid as string, tid: tid as string, exp: exp as number, iat: iat as number };
  }
}

/** Opaque refresh token: "wr1.<tenant>.<session>.<secret>"; only a SHA-256 of the secret is stored. */
export type RefreshToken = { tenantId: string; sessionId: string; secret: string };

export function newRefreshSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const formatRefreshToken = (t: RefreshToken): string => `wr1.${t.tenantId}.${t.sessionId}.${t.secret}`;

export function parseRefreshToken(token: string): RefreshToken | null {
  const parts = token.length < 300 ? token.split('.') : [];
  if (parts.length !== 4 || parts[0] !== 'wr1' || !isUuid(parts[1]) || !isUuid(parts[2]) || !/^[\w-]{43}$/.test(parts[3])) {
    return null;
  }
  return { tenantId: parts[1].toLowerCase(), sessionId: parts[2].toLowerCase(), secret: parts[3] };
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function secretMatches(secret: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
