import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLClient } from './client';

/** Clients for the fault tests: load that classifies every answer, and WebSockets that keep what they saw. */
export type Outcome = { kind: 'ok'; name?: string } | { kind: 'unavailable' } | { kind: 'bad'; detail: string } | { kind: 'unanswered'; detail: string };

/** One GraphQL POST, classified: success, an honest 503, or anything else (a defect). */
export async function call(url: string, token: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Outcome & { status?: number; retryAfter?: string | null }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return { kind: 'unanswered', detail: `no HTTP answer: ${String(err)}` };
  }
  const text = await res.text();
  let body: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { kind: 'bad', detail: `${res.status} ${text.slice(0, 200)}` };
  }
  const codes = (body.errors ?? []).map((e) => e.extensions?.code);
  if (res.status === 200 && codes.length === 0 && body.data) return { kind: 'ok', status: 200 };
  if (res.status === 503 && codes.length > 0 && codes.every((c) => c === 'SERVICE_UNAVAILABLE') && !text.includes('    at ')) {
    return { kind: 'unavailable', status: 503, retryAfter: res.headers.get('retry-after') };
  }
  return { kind: 'bad', detail: `${res.status} ${text.slice(0, 300)}` };
}

export const CREATE_TEAM = 'mutation($n: String!) { createTeam(name: $n) { id name } }';
export const READ = '{ me { sessionId user { email } permissions } }';

/** Concurrent clients doing a mutation and a read in a loop until `stop()`; what each saw. */
export function loadOn(url: () => string, token: string, run: string, workers: number) {
  const acknowledged: string[] = [];
  const outcomes = { ok: 0, unavailable: 0, unanswered: 0, bad: [] as string[], retryAfter: new Set<string | null | undefined>() };
  let stopped = false;
  let n = 0;
  const record = (o: Awaited<ReturnType<typeof call>>) => {
    if (o.kind === 'ok') outcomes.ok++;
    else if (o.kind === 'unavailable') {
      outcomes.unavailable++;
      outcomes.retryAfter.add(o.retryAfter);
    } else if (o.kind === 'unanswered') outcomes.unanswered++;
    else outcomes.bad.push(o.detail);
  };
  const worker = async () => {
    while (!stopped) {
      const name = `${run}-${n++}`;
      const m = await call(url(), token, CREATE_TEAM, { n: name });
      record(m);
      if (m.kind === 'ok') acknowledged.push(name);
      record(await call(url(), token, READ));
      // While refused, do not spin: an outage answers at once.
      if (m.kind !== 'ok') await new Promise((r) => setTimeout(r, 50));
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    acknowledged,
    outcomes,
    async stop() {
      stopped = true;
      await all;
    },
  };
}

/** Poll until `fn` is true; false when `ms` pass first. */
export async function eventually(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sessionOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

/** A WebSocket whose close code is kept: a revoked session's socket is closed with 4401. */
export function watchedSocket(gql: GraphQLClient): { client: Client; closedWith: () => number | undefined; events: unknown[]; errors: unknown[] } {
  let code: number | undefined;
  const events: unknown[] = [];
  const errors: unknown[] = [];
  // Not lazy: the socket stays open after its subscription ended, so only a revocation closes it.
  const client = createClient({ url: gql.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${gql.token}` }, retryAttempts: 0, lazy: false });
  client.on('closed', (e) => (code = (e as { code?: number }).code));
  client.subscribe<{ auditEvents: { action: string; resourceIds: string[] } }>(
    { query: 'subscription { auditEvents { action resourceIds } }' },
    { next: (r) => (r.errors ? errors.push(...r.errors) : events.push(r.data?.auditEvents)), error: (e) => errors.push(e), complete: () => {} },
  );
  return { client, closedWith: () => code, events, errors };
}

/** The codes of a subscription's errors; a socket closed by the server shows its close code. */
export const errorCodes = (errors: unknown[]): (string | number)[] => errors.flatMap((e) => (Array.isArray(e) ? e : [e])).map((e) => (e as { extensions?: { code?: string } }).extensions?.code ?? (e as { code?: number }).code ?? String(e));

