import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** An account at the in-test OpenID provider: its claims go into the ID token. */
export type Account = { sub: string; email: string; email_verified?: boolean; name?: string; groups?: string[] };

export type TestProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The provider's RSA private key (to forge tokens the provider itself could have signed). */
  privateJwk: JWK & { kid: string };
  accounts: Map<string, Account>;
  /** Requests the provider served, by path (to prove what Warden fetched). */
  hits: string[];
  /** Run a browser-like authorization: log in as `sub`, consent, and return the redirect's parameters. */
  authorize(url: string, sub: string): Promise<URLSearchParams>;
  stop(): Promise<void>;
};

/**
 * A real OpenID provider (node-oidc-provider) on a random loopback port, with one confidential client
 * and non-interactive login and consent: the test picks the account, the provider does the rest.
 */
export async function startOidcProvider(): Promise<TestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' } as JWK & { kid: string };
  const accounts = new Map<string, Account>();
  const hits: string[] = [];
  const clientId = 'warden-test';
  const clientSecret = 'a-client-secret-that-is-long-enough-for-hs256';
  const redirectUri = 'http://127.0.0.1:9/callback';

  // The provider needs its issuer URL, hence the port, hence the server first.
  const ref: { provider?: Provider } = {};
  const server = http.createServer((req, res) => {
    hits.push(req.url?.split('?')[0] ?? '');
    if (req.url?.startsWith('/interaction/')) {
      void interact(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    void ref.provider!.callback()(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let loginAs = '';
  async function interact(req: http.IncomingMessage, res: http.ServerResponse) {
    const details = await ref.provider!.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await ref.provider!.interactionFinished(req, res, { login: { accountId: loginAs } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new ref.provider!.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
    grant.addOIDCScope(String(details.params.scope));
    await ref.provider!.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  // The provider warns about Node 20 and its in-memory adapter at start-up: expected in a test.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => (String(args[0]).startsWith('oidc-provider') ? undefined : warn(...args));
  ref.provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'implicit'],
        response_types: ['code', 'id_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        // native: http loopback redirect URIs are allowed, also for the implicit (ID token) response.
        application_type: 'native',
      },
    ],
    jwks: { keys: [privateJwk] },
    findAccount: async (_ctx, id) => {
      const a = accounts.get(id);
      return a && { accountId: id, claims: async () => ({ ...a, sub: id }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });

  console.warn = warn;

  /** Follow redirects with a cookie jar until the provider sends the browser to the client's redirect URI. */
  async function authorize(url: string, sub: string): Promise<URLSearchParams> {
    loginAs = sub;
    const jar = new Map<string, string>();
    let next = url;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = res.headers.get('location');
      if (!location) throw new Error(`provider answered ${res.status}: ${await res.text()}`);
      const target = new URL(location, next);
      if (target.toString().startsWith(redirectUri)) return new URLSearchParams(target.hash ? target.hash.slice(1) : target.search);
      next = target.toString();
    }
    throw new Error('too many redirects');
  }

  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    privateJwk,
    accounts,
    hits,
    authorize,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
