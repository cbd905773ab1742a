import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ruruHTML, type RuruClientConfig } from 'ruru/server';
import { serveStatic } from 'ruru/static';
import type { Config } from '../config';
import { DEMO_PASSWORD } from '../db/seed/demo';

/** URL path of GraphiQL's scripts, styles and fonts (ruru ships them inside its package: no CDN). */
export const GRAPHIQL_ASSETS = '/graphiql/';

const DEMO_HELP = `# Warden's GraphiQL: served by this server, nothing from the internet.
#
# 1. Sign in: run SignIn (the run button, or Ctrl-Enter inside it).
#    Demo users: admin, lead, agent, sales, analyst @acme.test,
#    password ${DEMO_PASSWORD} (change the e-mail below).
# 2. Copy the accessToken into Headers (below this editor):
#      {"Authorization": "Bearer <accessToken>"}
#    Access tokens last 15 minutes: run SignIn again, or
#    refreshSession(refreshToken:).
# 3. Run Me, or any operation. Subscriptions (auditEvents and
#    securityAlerts, as the analyst) run over graphql-ws on this
#    same path, with the same header.

mutation SignIn {
  login(input: {tenant: "acme", email: "agent@acme.test", password: "${DEMO_PASSWORD}"}) {
    accessToken
    refreshToken
    expiresIn
  }
}

query Me {
  me { user { email displayName } roles { key } clearance }
}

subscription AuditEvents {
  auditEvents { seq action outcome occurredAt }
}
`;

const PRODUCTION_HELP = `# Warden's GraphiQL: served by this server, nothing from the internet.
# The schema is not introspectable in production: no docs, no completion.
#
# 1. Sign in: run SignIn with your tenant, e-mail and password in
#    Variables (below): {"tenant": "...", "email": "...", "password": "..."}
#    Single sign-on users: beginSso, then completeSso, give the token.
# 2. Copy the accessToken into Headers (below this editor):
#      {"Authorization": "Bearer <accessToken>"}
# 3. Run Me, or any operation. Subscriptions run over graphql-ws on
#    this same path, with the same header.

mutation SignIn($tenant: String!, $email: String!, $password: String!) {
  login(input: {tenant: $tenant, email: $email, password: $password}) {
    accessToken
    expiresIn
  }
}

query Me {
  me { user { email displayName } roles { key } }
}
`;

/**
 * Scripts only from this server and from the page's own inline tags carrying this response's nonce;
 * requests only to this origin (`'self'` covers ws: and wss: to the same host). Monaco and React add
 * style elements at run time, hence inline styles.
 */
const ideCsp = (nonce: string) =>
  [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** The page, built once; each response stamps a fresh nonce on its inline scripts. */
function idePage(config: Config): (nonce: string) => string {
  const NONCE = '__WARDEN_NONCE__';
  const withNonce = (tags: string) => tags.replaceAll('<script', `<script nonce="${NONCE}"`);
  const html = ruruHTML({
    staticPath: GRAPHIQL_ASSETS,
    // Relative: the page's own origin, and ws(s):// of it for subscriptions (ruru derives it).
    endpoint: '/graphql',
    htmlParts: {
      titleTag: '<title>Warden GraphiQL</title>',
      // No /favicon.ico request (a 404 in the console).
      metaTags: (original) => `${original}\n<link rel="icon" href="data:," />`,
      configScript: withNonce,
      headerScripts: withNonce,
      bodyScripts: withNonce,
      bodyInitScript: withNonce,
    },
    // GraphiQL's prop types resolve through React's, which a server does not install; every prop then
    // reads as required, hence the cast.
    clientConfig: { defaultQuery: config.env === 'production' ? PRODUCTION_HELP : DEMO_HELP } as RuruClientConfig,
  });
  return (nonce) => html.replaceAll(NONCE, nonce);
}

const OFF_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Warden GraphQL API</title></head>
<body>
<h1>Warden GraphQL API</h1>
<p>This is a GraphQL endpoint: send <code>POST</code> requests with <code>Content-Type: application/json</code>
and a body such as <code>{"query": "{ me { user { email } } }"}</code>, with <code>Authorization: Bearer &lt;accessToken&gt;</code>
(from the <code>login</code> mutation). Subscriptions use graphql-ws on this same path.</p>
<p>The in-browser GraphiQL is off on this server (it is on in development; <code>WARDEN_GRAPHIQL=true</code> turns it on).
The schema is published as <code>schema.graphql</code> in the project, and described in its README.</p>
</body></html>
`;

/** A browser navigating here (HTML preferred to JSON), as opposed to a GraphQL client sending a GET. */
const wantsHtml = (req: Request) => req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';

/**
 * `GET /graphql` from a browser: GraphiQL (when `config.graphiql`) from assets inside the `ruru`
 * package, or a short page saying what the endpoint is. Every other request goes on to Apollo.
 * A plain middleware, not an express Router: a Router answers OPTIONS for its GET routes itself,
 * before the origin guard could refuse a preflight.
 */
export function graphiql(config: Config): RequestHandler {
  const page = config.graphiql ? idePage(config) : undefined;
  const assets = page ? serveStatic(GRAPHIQL_ASSETS) : undefined;
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (assets && req.path.startsWith(GRAPHIQL_ASSETS)) return assets(req, res, next);
    if ((req.path !== '/graphql' && req.path !== '/graphql/') || !wantsHtml(req)) return next();
    res.vary('Accept');
    res.set('Cache-Control', 'no-store');
    res.set('X-Content-Type-Options', 'nosniff');
    if (!page) {
      res.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      res.type('html').send(OFF_PAGE);
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    res.set('Content-Security-Policy', ideCsp(nonce));
    res.type('html').send(page(nonce));
  };
}
