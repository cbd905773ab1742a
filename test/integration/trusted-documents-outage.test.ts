import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { documentHash } from '../../src/modules/trusted-documents/manifest';
import { registerManifest } from '../../src/modules/trusted-documents/trusted-documents.service';
import { GraphQLClient } from '../testkit/client';
import { createTestDatabase } from '../testkit/database';
import { postJson } from '../testkit/http';
import { TcpProxy } from '../testkit/tcp-proxy';
import { startWardenProcess, type WardenProcess } from '../testkit/warden-process';

/**
 * The registry is read from the database: while it is unreachable, a lookup is SERVICE_UNAVAILABLE
 * (503 with Retry-After over HTTP, the operation's error over WebSocket), never a refusal or a crash.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const describePg = serverUrl ? describe : describe.skip;
if (!serverUrl) describe('trusted documents during an outage (needs TEST_DATABASE_URL)', () => it.skip('skipped on PGlite', () => {}));

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';

describePg('trusted documents while the database is unreachable', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let warden: WardenProcess;
  beforeAll(async () => {
    db = await createTestDatabase({ demo: true });
    await registerManifest(db.database.db, JSON.stringify({ [documentHash(LOGIN)]: LOGIN }), null);
    const target = new URL(db.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    warden = await startWardenProcess({ DATABASE_URL: proxy.urlFor(db.url!), WARDEN_TRUSTED_DOCUMENTS: 'require' });
  });
  afterAll(async () => {
    await warden?.stop();
    await proxy?.stop();
    await db?.drop();
  });

  it('answers SERVICE_UNAVAILABLE, then works again', async () => {
    const lead = await new GraphQLClient(warden.url).login('lead@acme.test');
    await proxy.cut();
    const auth = { authorization: `Bearer ${lead.token}` };
    const byHash = await postJson(warden.url, { extensions: { persistedQuery: { version: 1, sha256Hash: documentHash('query Never { __typename }') } } }, auth);
    expect(byHash.status).toBe(503);
    expect(byHash.headers.get('retry-after')).toBe('2');
    expect(byHash.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    const byText = await postJson(warden.url, { query: '{ me { sessionId } }' }, auth);
    expect(byText.status).toBe(503);
    expect(byText.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    const ws = lead.ws();
    const overWs = await new Promise<unknown[]>((resolve) => {
      ws.subscribe({ query: '{ me { sessionId } }' }, { next: () => resolve([]), error: (e) => resolve(Array.isArray(e) ? e : [e]), complete: () => resolve([]) });
    });
    await ws.dispose();
    expect(overWs).toMatchObject([{ extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
    await proxy.restore();
    // Reconnects within about a second (see the database-fault tests); the outage left no refusal behind.
    let after;
    for (let i = 0; i < 50; i++) {
      after = await postJson(warden.url, { query: LOGIN, variables: { i: { tenant: 'acme', email: 'lead@acme.test', password: DEMO_PASSWORD } } });
      if (after.status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(after!.json.data.login.accessToken).toEqual(expect.any(String));
    expect(warden.exitCode()).toBeUndefined();
  });
});
