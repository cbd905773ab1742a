/** Raw HTTP against a running server, for protocol tests that need the status, headers and exact body. */
export type RawResponse = {
  status: number;
  headers: Headers;
  contentType: string | null;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
};

export async function rawRequest(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type'), text, json };
}

/** POST a JSON body (any value, or a raw string sent as is) with the given headers. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** GET with the operation in the query string (GraphQL over HTTP, section 6.2.1). */
export function getQuery(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(`${url}?${new URLSearchParams(params).toString()}`, { method: 'GET', headers });
}

/**
 * Fail if a response body shows server internals: a `stacktrace` extension, a V8 stack frame
 * ("    at fn (file:line)"), or a path into the server's files.
 */
export function expectNoStackTrace(body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  expect(text).not.toMatch(/stacktrace/i);
  expect(text).not.toMatch(/ {4}at /);
  expect(text).not.toMatch(/node_modules|\/src\/|\.ts:\d+/);
}
