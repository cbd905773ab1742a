import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLError } from 'graphql';
import { hashPassword, passwordProblem } from '../../authn/passwords';
import type { AuditEventInput } from '../../audit/events';
import { writeAuditEvents } from '../../audit/writer';
import type { Tx } from '../../db/client';
import { withTenantTx } from '../../db/tenant-tx';
import { errorCode } from '../../lib/errors';
import { isUuid } from '../../lib/global-id';
import { requestLog } from '../../server/http-log';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../../lib/storable-text';
import { verifyBodyEncoding } from '../../server/body-encoding';
import type { Services } from '../../server/services';
import { offboard } from './offboarding.service';
import { insertScimUser, scimUserById, scimUsersWhere, updateScimUser, type ScimUserRow } from './scim.repo';
import { tenantOfScimToken } from './scim.service';
import { revocation } from '../../authn/session-end';
import { revokeUserSessions } from './session.repo';
import { isAdmin, otherActiveAdmins, seniorAdmin, setUserStatus } from './user.repo';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../../db/unavailable';

/** SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) for Users: create, get, list with a userName filter, PATCH, DELETE. */
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;

/** An error as RFC 7644 §3.12 shapes it. */
class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

const toResource = (u: NonNullable<ScimUserRow>, base: string) => ({
  schemas: [USER_SCHEMA],
  id: u.id,
  ...(u.externalId && { externalId: u.externalId }),
  userName: u.email,
  displayName: u.displayName,
  name: { formatted: u.displayName },
  emails: [{ value: u.email, primary: true }],
  active: u.status === 'ACTIVE',
  meta: { resourceType: 'User', created: u.createdAt.toISOString(), lastModified: u.updatedAt.toISOString(), location: `${base}/Users/${u.id}` },
});

const str = (v: unknown, name: string, max = 320): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new ScimError(400, 'invalidValue', `${name} must be a non-empty string of at most ${max} characters`);
  return v.trim();
};
const bool = (v: unknown, name: string): boolean => {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false' || v === 'True' || v === 'False') return v.toLowerCase() === 'true'; // some clients (Azure AD) send strings
  throw new ScimError(400, 'invalidValue', `${name} must be a boolean`);
};

/** `userName eq "x"` or `externalId eq "x"`: the filters provisioning clients send (RFC 7644 §3.4.2.2). */
function parseFilter(filter: unknown): { attribute: 'userName' | 'externalId' | null; value: string } {
  if (filter === undefined) return { attribute: null, value: '' };
  const m = typeof filter === 'string' ? /^\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.){1,320})"\s*$/i.exec(filter) : null;
  if (!m) throw new ScimError(400, 'invalidFilter', 'Supported filters: userName eq "..." and externalId eq "..."');
  return { attribute: m[1].toLowerCase() === 'username' ? 'userName' : 'externalId', value: m[2].replace(/\\(.)/g, '$1') };
}

type Scope = { tenantId: string; transferTo: string | null; base: string; requestId: string };

async function inTenant<T>(services: Services, scope: Scope, fn: (tx: Tx, audit: (e: AuditEventInput) => void) => Promise<T>): Promise<T> {
  return withTenantTx(services.database.db, scope.tenantId, async (tx) => {
    const events: AuditEventInput[] = [];
    const out = await fn(tx, (e) => events.push({ ...e, detail: { ...e.detail, via: 'scim' } }));
    await writeAuditEvents(tx, { tenantId: scope.tenantId, actorId: null, sessionId: null }, scope.requestId, events);
    return out;
  });
}

/** Deactivation is offboarding: everything revoked, and what the user owned goes to the configured user (or the longest-standing admin). */
async function deactivate(tx: Tx, scope: Scope, userId: string, audit: (e: AuditEventInput) => void) {
  if ((await isAdmin(tx, userId)) && (await otherActiveAdmins(tx, userId)) === 0) throw new ScimError(400, 'mutability', 'The last administrator cannot be deactivated');
  const transferTo = scope.transferTo ?? (await seniorAdmin(tx, userId));
  if (!transferTo) throw new ScimError(409, 'mutability', 'No active user can receive what this user owns');
  try {
    const out = await offboard(tx, { userId, transferToUserId: transferTo, actorId: null });
    audit({ action: 'user.offboard', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [userId], detail: { reason: 'SCIM deactivation', transferTo, revokedSessions: out.revokedSessions, removedRoles: out.removedRoles, transferred: out.transferred } });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'NOT_FOUND') throw new ScimError(404, undefined, 'User not found');
    if (code === 'BAD_USER_INPUT') throw new ScimError(400, 'mutability', (err as GraphQLError).message);
    throw err;
  }
}

export function scimRouter(services: Services): express.Router {
  const router = express.Router();
  router.use(express.json({ type: ['application/scim+json', 'application/json'], limit: '100kb', verify: verifyBodyEncoding }));
  // Text PostgreSQL cannot store (U+0000, unpaired surrogates) in a body or a filter is the client's error, not a failed statement.
  router.use((req, _res, next) => {
    const at = findUnstorableText(req.body) ?? findUnstorableText(req.query);
    next(at ? new ScimError(400, 'invalidValue', `${UNSTORABLE_TEXT_MESSAGE} (at ${at.join('.') || 'the top level'})`) : undefined);
  });

  const handle = (fn: (req: Request, res: Response, scope: Scope) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const tenant = await tenantOfScimToken(services.database.db, req.headers.authorization);
      if (!tenant) throw new ScimError(401, undefined, 'A valid SCIM bearer token is required');
      await fn(req, res, { ...tenant, base: `${req.protocol}://${req.get('host')}${req.baseUrl}`, requestId: crypto.randomUUID() });
    } catch (err) {
      next(err);
    }
  };
  const send = (res: Response, status: number, body: unknown) => res.status(status).type('application/scim+json').send(JSON.stringify(body));
  const userId = (req: Request) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw new ScimError(404, undefined, 'User not found');
    return id.toLowerCase();
  };

  router.post('/Users', handle(async (req, res, scope) => {
    const body = req.body as Record<string, unknown>;
    if (!body || typeof body !== 'object' || !Array.isArray(body.schemas) || !body.schemas.includes(USER_SCHEMA)) throw new ScimError(400, 'invalidSyntax', `schemas must include ${USER_SCHEMA}`);
    const userName = str(body.userName, 'userName')?.toLowerCase();
    if (!userName || !EMAIL.test(userName)) throw new ScimError(400, 'invalidValue', 'userName is required and must be an e-mail address');
    const name = body.name as { formatted?: unknown; givenName?: unknown; familyName?: unknown } | undefined;
    const displayName = str(body.displayName, 'displayName', 200) ?? str(name?.formatted, 'name.formatted', 200) ?? ([name?.givenName, name?.familyName].filter((x) => typeof x === 'string').join(' ').trim() || userName);
    const active = body.active === undefined ? true : bool(body.active, 'active');
    const password = str(body.password, 'password', 1024);
    if (password) {
      const problem = passwordProblem(password, { minLength: services.config.authn.passwordMinLength, email: userName });
      if (problem) throw new ScimError(400, 'invalidValue', problem);
    }
    const created = await inTenant(services, scope, async (tx, audit) => {
      const row = await insertScimUser(tx, {
        tenantId: scope.tenantId,
        email: userName,
        displayName,
        externalId: str(body.externalId, 'externalId', 200) ?? null,
        status: active ? 'ACTIVE' : 'SUSPENDED',
        passwordHash: password ? await hashPassword(password) : null,
      });
      if (!row) throw new ScimError(409, 'uniqueness', 'A user with this userName already exists');
      audit({ action: 'user.create', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [row.id], detail: { active } });
      return row;
    });
    res.location(`${scope.base}/Users/${created.id}`);
    send(res, 201, toResource(created, scope.base));
  }));

  router.get('/Users/:id', handle(async (req, res, scope) => {
    const row = await inTenant(services, scope, (tx) => scimUserById(tx, userId(req)));
    if (!row) throw new ScimError(404, undefined, 'User not found');
    send(res, 200, toResource(row, scope.base));
  }));

  router.get('/Users', handle(async (req, res, scope) => {
    const { attribute, value } = parseFilter(req.query.filter);
    const startIndex = req.query.startIndex === undefined ? 1 : Number(req.query.startIndex);
    const count = req.query.count === undefined ? 100 : Number(req.query.count);
    if (!Number.isInteger(startIndex) || startIndex < 1 || !Number.isInteger(count) || count < 0) throw new ScimError(400, 'invalidValue', 'startIndex must be >= 1 and count >= 0');
    const { total, rows } = await inTenant(services, scope, (tx) => scimUsersWhere(tx, attribute, value, startIndex - 1, Math.min(count, 200)));
    send(res, 200, { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: rows.map((r) => toResource(r, scope.base)) });
  }));

  router.patch('/Users/:id', handle(async (req, res, scope) => {
    const body = req.body as { schemas?: unknown; Operations?: unknown };
    if (!body || !Array.isArray(body.schemas) || !body.schemas.includes(PATCH_SCHEMA) || !Array.isArray(body.Operations) || body.Operations.length === 0) {
      throw new ScimError(400, 'invalidSyntax', `A PatchOp needs schemas [${PATCH_SCHEMA}] and a non-empty Operations array`);
    }
    // Flatten { op, path, value } and { op, value: { attr: v } } into attribute changes.
    const changes: Record<string, unknown> = {};
    for (const op of body.Operations as { op?: unknown; path?: unknown; value?: unknown }[]) {
      const kind = typeof op?.op === 'string' ? op.op.toLowerCase() : '';
      if (kind !== 'replace' && kind !== 'add') throw new ScimError(400, 'invalidSyntax', 'Supported operations: add, replace');
      const entries: [string, unknown][] | null = op.path === undefined ? (op.value && typeof op.value === 'object' ? Object.entries(op.value) : null) : [[String(op.path), op.value]];
      if (!entries) throw new ScimError(400, 'invalidSyntax', 'An operation without path needs an object value');
      for (const [path, value] of entries) {
        if (!['active', 'displayName', 'name.formatted', 'externalId'].includes(path)) throw new ScimError(400, 'invalidPath', `Unsupported path: ${path}`);
        changes[path] = value;
      }
    }
    const id = userId(req);
    const row = await inTenant(services, scope, async (tx, audit) => {
      const current = await scimUserById(tx, id);
      if (!current) throw new ScimError(404, undefined, 'User not found');
      const displayName = str(changes.displayName, 'displayName', 200) ?? str(changes['name.formatted'], 'name.formatted', 200);
      const externalId = str(changes.externalId, 'externalId', 200);
      const active = 'active' in changes ? bool(changes.active, 'active') : undefined;
      if (displayName || externalId) await updateScimUser(tx, id, { ...(displayName && { displayName }), ...(externalId && { externalId }) });
      if (active === false && current.status === 'ACTIVE') await deactivate(tx, scope, id, audit);
      else if (active === true && current.status !== 'ACTIVE') {
        await setUserStatus(tx, id, 'ACTIVE');
        audit({ action: 'user.reactivate', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [id] });
      }
      if (displayName || externalId) audit({ action: 'user.update', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [id], detail: { fields: Object.keys(changes) } });
      return scimUserById(tx, id);
    });
    send(res, 200, toResource(row!, scope.base));
  }));

  router.delete('/Users/:id', handle(async (req, res, scope) => {
    const id = userId(req);
    await inTenant(services, scope, async (tx, audit) => {
      const current = await scimUserById(tx, id);
      if (!current) throw new ScimError(404, undefined, 'User not found');
      if (current.status === 'ACTIVE') await deactivate(tx, scope, id, audit);
      else await revokeUserSessions(tx, id, revocation('OFFBOARDED'));
    });
    res.status(204).end();
  }));

  router.all('/{*rest}', (_req, res) => send(res, 501, { schemas: [ERROR_SCHEMA], status: '501', detail: 'Not supported: this server implements /Users (POST, GET, PATCH, DELETE)' }));

  // Errors, malformed JSON included, as SCIM error bodies with the matching HTTP status.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ScimError) {
      send(res, err.status, { schemas: [ERROR_SCHEMA], status: String(err.status), ...(err.scimType && { scimType: err.scimType }), detail: err.message });
      return;
    }
    const status = (err as { status?: number; type?: string }).status;
    if (status === 400 && (err as { type?: string }).type === 'encoding.invalid') {
      send(res, 400, { schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidSyntax', detail: 'Request body is not valid UTF-8' });
      return;
    }
    if (status === 400 || status === 413 || status === 415) {
      send(res, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(status === 400 && { scimType: 'invalidSyntax' }), detail: status === 400 ? 'Malformed JSON' : 'Request not acceptable' });
      return;
    }
    if (isDatabaseUnavailable(err)) {
      requestLog(req).log.warn('SCIM request failed: database unavailable', { err });
      res.set('retry-after', String(RETRY_AFTER_SECONDS));
      send(res, 503, { schemas: [ERROR_SCHEMA], status: '503', detail: 'The service is temporarily unavailable; try again shortly' });
      return;
    }
    const correlationId = crypto.randomUUID();
    requestLog(req).log.error('SCIM request failed', { err, correlationId });
    send(res, 500, { schemas: [ERROR_SCHEMA], status: '500', detail: `Internal error (correlation id ${correlationId})` });
  });
  return router;
}
