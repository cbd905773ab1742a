import autocannon from 'autocannon';

/** One measured run of one arm. Latencies in milliseconds, from every response autocannon saw. */
export type Sample = { reqPerSec: number; p50: number; p95: number; p99: number; requests: number; graphqlErrors: number; non2xx: number; transportErrors: number };

export type Load = { url: string; token: string; body: (i: number) => string };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/** Drive one server with `connections` concurrent clients for `seconds`; each request gets the next body. */
export async function run(load: Load, seconds: number, connections: number): Promise<Sample> {
  let n = 0;
  let graphqlErrors = 0;
  const latencies: number[] = [];
  let finished!: (r: autocannon.Result) => void;
  let failed!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finished = resolve), (failed = reject)));
  const instance = autocannon({
    url: load.url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${load.token}` },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: load.body(n++) }),
        // A GraphQL refusal is HTTP 200: count answers that carry errors, so a broken arm cannot look fast.
        onResponse: (_status, body) => {
          if (body.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  }, (err, result) => (err ? failed(err) : finished(result)));
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await done;
  latencies.sort((a, b) => a - b);
  return {
    reqPerSec: latencies.length / result.duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    graphqlErrors,
    non2xx: result.non2xx,
    transportErrors: result.errors + result.timeouts,
  };
}

type GraphQLReply<T> = { data?: T; errors?: unknown[]; extensions?: { counters?: { statements?: number; ruleEvaluations?: number } } };

/** One GraphQL request over HTTP (a JSON body as sent), with a bearer token if there is one. */
export async function post<T = unknown>(url: string, token: string | null, body: string): Promise<GraphQLReply<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
  return (await res.json()) as GraphQLReply<T>;
}

/** One request outside the load, to a server in test mode: its SQL statement count and its data, to check the arm works. */
export async function probe(url: string, token: string, body: string): Promise<{ statements: number; ruleEvaluations: number; data: unknown; errors: unknown[] }> {
  const json = await post(url, token, body);
  const statements = json.extensions?.counters?.statements;
  if (typeof statements !== 'number') throw new Error('The server reported no statement counter: probe servers run with NODE_ENV=test');
  return { statements, ruleEvaluations: json.extensions?.counters?.ruleEvaluations ?? 0, data: json.data, errors: json.errors ?? [] };
}
