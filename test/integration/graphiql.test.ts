import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * GraphiQL at GET /graphql (on outside production): its page and assets come from this server, and in
 * headless Chromium, with every request elsewhere cut, it signs in a demo user, runs a query and a
 * subscription over graphql-ws with the token from its headers editor.
 */
/** Debian's chromium (CI installs it); CHROMIUM_PATH names another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'; // what Chromium sends on navigation

let server: TestServer;
let origin: string;
beforeAll(async () => {
  server = await createTestServer();
  origin = new URL(server.url).origin;
});
afterAll(() => server.stop());

const get = (path: string, accept: string) => fetch(origin + path, { headers: { accept } });

describe('GET /graphql from a browser', () => {
  it('answers the GraphiQL page, whose scripts, styles and endpoints are all on this server', async () => {
    const res = await get('/graphql', HTML);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/connect-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<title>Warden GraphiQL</title>');
    // Every src and href is a path on this server: no CDN (Apollo's landing page loads one).
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^(\/graphiql\/|data:)/);
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[a-z]/i);
    // Inline scripts run only with this response's nonce.
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(/'nonce-([^']+)'/.exec((await get('/graphql', HTML)).headers.get('content-security-policy') ?? '')?.[1]).not.toBe(nonce);
  });

  it('serves the assets from the ruru package, and 404 for a name it does not have', async () => {
    const js = await get('/graphiql/ruru.js', '*/*');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await get('/graphiql/nope.js', '*/*')).status).toBe(404);
  });

  it('leaves GraphQL clients to the API: a GET without a query is still a GraphQL request error', async () => {
    const res = await get('/graphql', 'application/graphql-response+json, application/json');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });
});

const describeBrowser = fs.existsSync(CHROMIUM) ? describe : describe.skip;

describeBrowser(fs.existsSync(CHROMIUM) ? 'GraphiQL in headless Chromium' : `GraphiQL in headless Chromium (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(() => browser?.close());

  /** Run one of the page's operations from the run button's menu (the editor holds several). */
  async function run(page: Page, operation: string) {
    await page.click('.graphiql-execute-button');
    await page.getByRole('menuitem', { name: operation, exact: true }).click();
  }
  /** Until the response panel matches `pattern`; its text then. */
  async function shows(page: Page, pattern: RegExp): Promise<string> {
    const panel = page.locator('.graphiql-response', { hasText: pattern });
    await panel.waitFor({ timeout: 20_000 });
    return (await panel.textContent()) ?? '';
  }

  it('loads with no request elsewhere, signs in, queries and subscribes as a demo user', async () => {
    const context = await browser.newContext();
    const requests: string[] = [];
    const sockets: string[] = [];
    const problems: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    // The network is cut: anything not for this server fails as if offline.
    await context.route('**/*', (route) => (route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort('internetdisconnected')));
    const page = await context.newPage();
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text().slice(0, 200)}`));
    try {
      await page.goto(server.url);
      await page.locator('.graphiql-query-editor .monaco-editor').waitFor();

      // 1. SignIn from the help text; the token comes back in the response panel.
      const signIn = page.waitForResponse((r) => r.request().method() === 'POST' && (r.request().postData() ?? '').includes('SignIn'));
      await run(page, 'SignIn');
      const login = (await (await signIn).json()) as { data: { login: { accessToken: string } } };
      const token = login.data.login.accessToken;
      expect(token).toMatch(/^ey/);
      await shows(page, /accessToken/);

      // 2. The token into the headers editor, as the help text says ("Authorization", as users write it).
      await page.getByRole('button', { name: 'Headers', exact: true }).click();
      await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor').click();
      await page.keyboard.insertText(`{"Authorization": "Bearer ${token}"}`);

      // 3. Me: the demo agent.
      await run(page, 'Me');
      expect(await shows(page, /agent@acme\.test|UNAUTHENTICATED/)).toContain('agent@acme.test');

      // 4. AuditEvents over graphql-ws on the same path with the same header: the agent is known
      //    (FORBIDDEN: no AUDIT_READ), not anonymous (that would be UNAUTHENTICATED).
      await run(page, 'AuditEvents');
      expect(await shows(page, /FORBIDDEN|UNAUTHENTICATED/)).toContain('FORBIDDEN');
      expect(sockets).toEqual([server.url.replace(/^http/, 'ws')]);

      expect(requests.length).toBeGreaterThan(5);
      expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
