import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import { Counter } from 'prom-client';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/unavailable';
import { serviceUnavailable } from '../lib/errors';
import { registry } from '../metrics/registry';
import { documentHash, parseDocumentId } from '../modules/trusted-documents/manifest';
import { trustedDocumentStore } from '../modules/trusted-documents/trusted-documents.store';
import type { RequestContext } from './context';
import { requestLog } from './http-log';
import type { Services } from './services';

const untrusted = new Counter({
  name: 'warden_untrusted_documents_total',
  help: 'Operations whose document is not registered, by outcome (allowed, adhoc, refused) and transport (http, ws)',
  labelNames: ['outcome', 'transport'],
  registers: [registry],
});

export const TRUSTED_DOCUMENT_REQUIRED = 'TRUSTED_DOCUMENT_REQUIRED';
/** Distinct unregistered documents logged per process under `allow` (each is counted every time). */
const MAX_LOGGED = 1000;

const notFound = () => new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });

type Payload = { query?: unknown; extensions?: Record<string, unknown> | null; documentId?: unknown };

/**
 * Trusted documents on both transports. A document is registered when the SHA-256 of its exact text
 * is in the registry, whether the client sent the text, the hash (`extensions.persistedQuery.sha256Hash`,
 * Apollo's form) or `documentId` (`sha256:<hex>`, the GraphQL-over-HTTP form). An unknown hash is
 * PERSISTED_QUERY_NOT_FOUND in every mode. Under `require` an unregistered document is refused with
 * TRUSTED_DOCUMENT_REQUIRED (HTTP 403) unless the viewer, whose session is checked first, holds one of
 * the ad-hoc permissions; under `allow` it runs, is logged once per process and is counted.
 */
export function trustedDocuments(services: Services) {
  const { mode, adhocPermissions } = services.config.trustedDocuments;
  const store = mode === 'off' ? undefined : trustedDocumentStore(services.database);
  const logged = new Set<string>();
  /** Over WebSocket a database outage is this operation's SERVICE_UNAVAILABLE, not a closed socket. */
  const orUnavailable = async <T>(work: () => Promise<T>): Promise<T | GraphQLError> => {
    try {
      return await work();
    } catch (err) {
      if (isDatabaseUnavailable(err)) return serviceUnavailable();
      throw err;
    }
  };
  /**
   * Apollo's persisted-query cache, backed by the registry: a registered hash finds its document, and a
   * client sending a hash with its text does not register it (Apollo's automatic persisted queries
   * would let any client add documents). Apollo prefixes its keys (`apq:<hash>`). An error thrown here
   * would be masked as a 500, so the lookup is made beforehand (persistedRequest) and is a cache hit here.
   */
  const apolloCache = store && {
    get: (key: string) => store.get(key.slice(key.lastIndexOf(':') + 1)).catch(() => undefined),
    set: async () => {},
    delete: async () => false,
  };
  /** Undefined when the operation may run, else the error that refuses it. */
  async function check(hash: string, ctx: RequestContext, transport: 'http' | 'ws', operationName: string | null | undefined): Promise<GraphQLError | undefined> {
    if (!store || (await store.get(hash)) !== undefined) return undefined;
    let outcome: 'allowed' | 'adhoc' | 'refused' = 'allowed';
    if (mode === 'require') {
      // Loading the viewer checks the session (revoked, offboarded): a token alone does not qualify.
      const viewer = ctx.claims ? await ctx.viewer() : null;
      // A permission of the viewer's roles: a grant on one record does not make its holder an ad-hoc querier.
      outcome = viewer && adhocPermissions.some((p) => viewer.permissions.has(p)) ? 'adhoc' : 'refused';
    }
    untrusted.inc({ outcome, transport });
    if (outcome === 'allowed' && !logged.has(hash)) {
      if (logged.size >= MAX_LOGGED) logged.clear();
      logged.add(hash);
      // The hash and name only: the text can carry literals typed by a user.
      ctx.log.warn('unregistered GraphQL document executed', { documentHash: hash, operationName: operationName ?? null, transport });
    }
    if (outcome !== 'refused') return undefined;
    return new GraphQLError('Only registered documents are executed: send a registered document, or its SHA-256 (extensions.persistedQuery.sha256Hash or documentId)', {
      extensions: { code: TRUSTED_DOCUMENT_REQUIRED },
    });
  }

  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        // After the context (and its token) exists, before anything executes. Apollo sets queryHash to the
        // SHA-256 of the text, or to the client's hash once that was found in the registry.
        async didResolveOperation({ queryHash, contextValue, operationName }) {
          const refusal = await check(queryHash, contextValue, 'http', operationName);
          if (refusal) throw new GraphQLError(refusal.message, { extensions: { ...refusal.extensions, http: { status: 403 } } });
        },
      };
    },
  };

  const badRequest = (res: Parameters<RequestHandler>[1], message: string) => res.status(400).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  /** The persisted-query extension of a POST body, or of a GET's `extensions` parameter. */
  const extensionsOf = (req: Parameters<RequestHandler>[0]): Payload['extensions'] => {
    if (req.method !== 'GET') return (req.body as Payload | undefined)?.extensions;
    try {
      return typeof req.query.extensions === 'string' ? (JSON.parse(req.query.extensions) as Payload['extensions']) : undefined;
    } catch {
      return undefined;
    }
  };
  /**
   * Before Apollo: `documentId` in a POST body becomes Apollo's persisted-query extension; a hash sent
   * with a text that it is not the SHA-256 of is refused (Apollo's own error for it has no code and
   * would be masked); a hash sent alone is looked up, so that a database outage is answered as one.
   */
  const persistedRequest: RequestHandler = async (req, res, next) => {
    const body = req.body as Payload | undefined;
    if (body && typeof body === 'object' && 'documentId' in body) {
      const hash = parseDocumentId(body.documentId);
      if (!hash) return void badRequest(res, 'documentId must be "sha256:" followed by 64 lower-case hex digits');
      const { documentId: _id, ...rest } = body;
      req.body = { ...rest, extensions: { ...rest.extensions, persistedQuery: { version: 1, sha256Hash: hash } } };
    }
    const query = req.method === 'GET' ? req.query.query : (req.body as Payload | undefined)?.query;
    const sent = (extensionsOf(req)?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
    if (typeof sent !== 'string') return next();
    if (typeof query === 'string') return sent === documentHash(query) ? next() : void badRequest(res, 'The document hash is not the SHA-256 of the document sent');
    try {
      await store!.get(sent);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) return next(err);
      const { message, extensions } = serviceUnavailable();
      return void res.status(503).set('retry-after', String(RETRY_AFTER_SECONDS)).json({ errors: [{ message, extensions: { code: extensions.code, requestId: requestLog(req).requestId } }] });
    }
    next();
  };

  return {
    /** ApolloServer options: its persisted-query cache reads the registry and never registers. */
    apollo: apolloCache ? { persistedQueries: { cache: apolloCache, ttl: null } } : {},
    plugins: store ? [plugin] : [],
    middleware: store ? [persistedRequest] : [],
    /** WebSocket: the document's text and hash from a subscribe payload, or the error that refuses it. */
    resolve: (payload: Payload) => orUnavailable(() => resolve(payload)),
    check: (hash: string | undefined, ctx: RequestContext, operationName: string | null | undefined) =>
      hash === undefined ? Promise.resolve(undefined) : orUnavailable(() => check(hash, ctx, 'ws', operationName)),
  };

  async function resolve(payload: Payload): Promise<{ query: string; hash: string | undefined } | GraphQLError> {
    const query = typeof payload.query === 'string' ? payload.query : '';
    if (!store) return { query, hash: undefined };
    const persisted = payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
    const id = persisted?.sha256Hash ?? payload.documentId;
    if (id === undefined) return { query, hash: documentHash(query) };
    const hash = parseDocumentId(id);
    if (!hash) return notFound();
    if (query !== '') return documentHash(query) === hash ? { query, hash } : new GraphQLError('The document hash is not the SHA-256 of the document sent', { extensions: { code: 'BAD_REQUEST' } });
    const document = await store.get(hash);
    return document === undefined ? notFound() : { query: document, hash };
  }
}
