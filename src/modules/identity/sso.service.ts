import type { JWTPayload } from 'jose';
import { ALLOWED_ALGORITHMS, IdTokenRejected, exchangeCode, newPkceVerifier, pkceChallenge, randomToken, verifyIdToken } from '../../authn/oidc';
import { newRefreshSecret } from '../../authn/tokens';
import type { AuditEventInput } from '../../audit/events';
import { writeAuditEvents } from '../../audit/writer';
import { withTenantTx } from '../../db/tenant-tx';
import { badInput, unauthenticated } from '../../lib/errors';
import { isUuid } from '../../lib/global-id';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { findTenantBySlug, findUserByEmail } from './identity.repo';
import { issueTokens, leaverAttempt, startSession, type AuthPayload } from './identity.service';
import { insertState, linkSubject, providerOf, provisionUser, saveProvider, takeState, unlinkedUserByEmail, userBySsoSubject, type ProviderRow } from './sso.repo';
import { findRoleKeys, roleIdsByKeys, setRoles } from './user.repo';

const SIGN_IN_FAILED = 'Sign-in with the identity provider failed';
const STATE_TTL_MS = 10 * 60_000;

/** http is accepted only for loopback hosts (development and tests); everything else must be https. */
function endpoint(value: string, field: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput(`${field} must be a URL`, { argument: field });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && !production)) throw badInput(`${field} must be an https URL`, { argument: field });
  if (url.username || url.password || url.hash) throw badInput(`${field} must not carry credentials or a fragment`, { argument: field });
  return url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
}

export const providerOut = (p: ProviderRow) => ({ ...p, roleMapping: JSON.stringify(p.roleMapping) });

export async function identityProvider(ctx: RequestContext) {
  const row = await ctx.withTx((tx) => providerOf(tx));
  return row ? providerOut(row) : null;
}

export type ProviderInput = {
  issuer: string; clientId: string; clientSecret?: string | null; authorizationEndpoint: string; tokenEndpoint: string; jwksUri: string;
  algorithms?: string[] | null; groupsClaim?: string | null; roleMapping: { group: string; roles: string[] }[];
};

export async function configureIdentityProvider(ctx: RequestContext, input: ProviderInput) {
  const viewer = await ctx.requireViewer();
  const production = ctx.services.config.env === 'production';
  return auditedMutation(ctx, { action: 'sso.configure', resourceType: 'IdentityProvider' }, async (tx) => {
    const algorithms = [...new Set(input.algorithms ?? ['RS256'])];
    const bad = algorithms.filter((a) => !(ALLOWED_ALGORITHMS as readonly string[]).includes(a));
    if (bad.length || algorithms.length === 0) throw badInput(`Unsupported algorithms: ${bad.join(', ') || 'none given'} (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`, { argument: 'algorithms' });
    const known = new Set(await findRoleKeys(tx));
    const mapping: Record<string, string[]> = {};
    for (const m of input.roleMapping) {
      const unknown = m.roles.filter((r) => !known.has(r));
      if (unknown.length) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { argument: 'roleMapping' });
      mapping[text(m.group, 'roleMapping.group', { max: 200 })] = [...new Set([...(mapping[m.group] ?? []), ...m.roles])];
    }
    const row = await saveProvider(tx, viewer.tenantId, {
      issuer: text(input.issuer, 'issuer', { max: 500 }),
      clientId: text(input.clientId, 'clientId', { max: 300 }),
      clientSecret: input.clientSecret ? text(input.clientSecret, 'clientSecret', { max: 500 }) : null,
      authorizationEndpoint: endpoint(input.authorizationEndpoint, 'authorizationEndpoint', production),
      tokenEndpoint: endpoint(input.tokenEndpoint, 'tokenEndpoint', production),
      jwksUri: endpoint(input.jwksUri, 'jwksUri', production),
      algorithms,
      groupsClaim: text(input.groupsClaim ?? 'groups', 'groupsClaim', { max: 100 }),
      roleMapping: mapping,
    });
    return { result: providerOut(row), resourceIds: [row.id], detail: { issuer: row.issuer, algorithms, groups: Object.keys(mapping) } };
  });
}

/** Start an authorization-code sign-in with PKCE: state, nonce and verifier stay on the server. */
export async function beginSso(ctx: RequestContext, tenantSlug: string, redirectUri: string) {
  const slug = text(tenantSlug, 'tenant', { max: 100 }).toLowerCase();
  const redirect = endpoint(redirectUri, 'redirectUri', false);
  const db = ctx.services.database.db;
  const tenant = await withTenantTx(db, null, (tx) => findTenantBySlug(tx, slug));
  const found = tenant && (await withTenantTx(db, tenant.id, async (tx) => {
    const provider = await providerOf(tx);
    if (!provider) return undefined;
    const nonce = randomToken();
    const verifier = newPkceVerifier();
    const state = await insertState(tx, { tenantId: tenant.id, nonce, codeVerifier: verifier, redirectUri: redirect, expiresAt: new Date(Date.now() + STATE_TTL_MS) });
    return { provider, nonce, verifier, state };
  }));
  if (!found) throw badInput('Single sign-on is not configured for this tenant', { argument: 'tenant' });
  const url = new URL(found.provider.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: found.provider.clientId,
    redirect_uri: redirect,
    scope: 'openid email profile',
    state: found.state,
    nonce: found.nonce,
    code_challenge: pkceChallenge(found.verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { authorizationUrl: url.toString(), state: found.state, nonce: found.nonce };
}

const groupsOf = (claims: JWTPayload, claim: string): string[] => {
  const v = claims[claim];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : typeof v === 'string' ? [v] : [];
};

/**
 * Finish an SSO sign-in: the state is taken (single use), the code exchanged (or the ID token taken as
 * given), the ID token verified, the user found or provisioned, their roles set from their groups, and
 * a session opened. Every refusal is the same UNAUTHENTICATED; the reason is in the audit log.
 */
export async function completeSso(ctx: RequestContext, input: { tenant: string; state: string; code?: string | null; idToken?: string | null }): Promise<AuthPayload> {
  const db = ctx.services.database.db;
  const slug = text(input.tenant, 'tenant', { max: 100 }).toLowerCase();
  if (!isUuid(input.state) || (!input.code === !input.idToken)) throw unauthenticated(SIGN_IN_FAILED);
  const tenant = await withTenantTx(db, null, (tx) => findTenantBySlug(tx, slug));
  if (!tenant) throw unauthenticated(SIGN_IN_FAILED);
  const audit = (events: AuditEventInput[], actorId: string | null = null, sessionId: string | null = null) =>
    withTenantTx(db, tenant.id, (tx) => writeAuditEvents(tx, { tenantId: tenant.id, actorId, sessionId }, ctx.requestId, events.map((e) => ({ ...e, detail: { ...e.detail, ip: ctx.client.ip ?? null } }))));
  const refuse = async (reason: string, actorId: string | null = null, extra: AuditEventInput[] = []) => {
    await audit([{ action: 'auth.sso', outcome: 'DENIED', resourceType: 'User', resourceIds: actorId ? [actorId] : [], detail: { reason } }, ...extra], actorId);
    return unauthenticated(SIGN_IN_FAILED);
  };

  const started = await withTenantTx(db, tenant.id, async (tx) => ({ state: await takeState(tx, input.state), provider: await providerOf(tx) }));
  if (!started.state || !started.provider) throw await refuse(!started.provider ? 'not configured' : 'unknown or expired state');
  const { state, provider } = started;

  let claims: JWTPayload;
  try {
    const idToken = input.code ? await exchangeCode(provider, input.code.slice(0, 2048), state.redirectUri, state.codeVerifier) : input.idToken!;
    claims = await verifyIdToken(idToken, provider, state.nonce);
  } catch (err) {
    throw await refuse(err instanceof IdTokenRejected ? err.message : 'token endpoint unreachable');
  }
  const subject = `${provider.issuer}|${claims.sub}`;
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  const emailVerified = claims.email_verified === true;
  const groups = groupsOf(claims, provider.groupsClaim);
  const roleKeys = [...new Set(groups.flatMap((g) => provider.roleMapping[g] ?? []))];
  const secret = newRefreshSecret();

  const outcome = await withTenantTx(db, tenant.id, async (tx) => {
    let user = await userBySsoSubject(tx, subject);
    let provisioned = false;
    if (!user && email && emailVerified) {
      user = await unlinkedUserByEmail(tx, email);
      if (user) await linkSubject(tx, user.id, subject);
    }
    if (!user) {
      if (!email || (await findUserByEmail(tx, email))) return { error: email ? 'e-mail belongs to another account' : 'no e-mail claim' } as const;
      const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email;
      user = await provisionUser(tx, { tenantId: tenant.id, email, displayName: name, ssoSubject: subject });
      provisioned = true;
    }
    if (user.status !== 'ACTIVE') return { error: `account ${user.status}`, userId: user.id, offboarded: Boolean(user.offboardedAt) } as const;
    await setRoles(tx, tenant.id, user.id, await roleIdsByKeys(tx, roleKeys));
    // The provider's own MFA (amr) is not taken as Warden's second factor: step-up still asks for verifyMfa.
    const session = await startSession(tx, ctx, { tenantId: tenant.id, userId: user.id, secret, authMethod: 'SSO' });
    await writeAuditEvents(tx, { tenantId: tenant.id, actorId: user.id, sessionId: session.id }, ctx.requestId, [
      { action: 'auth.login', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [user.id], detail: { method: 'SSO', issuer: provider.issuer, provisioned, roles: roleKeys, ip: ctx.client.ip ?? null } },
    ]);
    return { userId: user.id, sessionId: session.id } as const;
  });
  if ('error' in outcome) {
    const userId = 'userId' in outcome ? outcome.userId ?? null : null;
    throw await refuse(outcome.error ?? 'refused', userId, 'offboarded' in outcome && outcome.offboarded && userId ? [leaverAttempt(userId, 'single sign-on')] : []);
  }
  return issueTokens(ctx, tenant.id, outcome.userId, outcome.sessionId, secret);
}
