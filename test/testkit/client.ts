import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DEMO_PASSWORD } from '../../src/db/seed/demo';

export type GraphQLResponse<T = Record<string, unknown>> = {
  status: number;
  contentType: string | null;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: { counters?: { statements: number; ruleEvaluations: number } } & Record<string, unknown>;
};

/** GraphQL over HTTP (and WebSocket) against a running server, as a front end would call it. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    public token?: string,
  ) {}

  async request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(this.token && { authorization: `Bearer ${this.token}` }),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { errors: [{ message: text }] };
    }
    return { status: res.status, contentType: res.headers.get('content-type'), ...(body as object) } as GraphQLResponse<T>;
  }

  /** The data, or throw with the errors: for steps that must succeed. */
  async ok<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const r = await this.request<T>(query, variables);
    if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data;
  }

  async login(email: string, password = DEMO_PASSWORD, tenant = 'acme'): Promise<GraphQLClient> {
    const data = await new GraphQLClient(this.url).ok<{ login: { accessToken: string; refreshToken: string } }>(
      'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }',
      { i: { tenant, email, password } },
    );
    const client = new GraphQLClient(this.url, data.login.accessToken);
    client.refreshToken = data.login.refreshToken;
    return client;
  }

  refreshToken?: string;

  /** A graphql-ws client on the same path, authenticated with this client's token. */
  ws(): Client {
    return createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
  }
}

/** Collect `count` results of a subscription (or fail after `ms`). */
export function collect<T>(client: Client, query: string, variables: Record<string, unknown>, count: number, ms = 5000) {
  const results: { data?: T; errors?: unknown[] }[] = [];
  let unsubscribe: () => void = () => {};
  const done = new Promise<typeof results>((resolve, reject) => {
    const timer = setTimeout(() => resolve(results), ms);
    unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (r) => {
          results.push(r as { data?: T; errors?: unknown[] });
          if (results.length >= count) {
            clearTimeout(timer);
            resolve(results);
          }
        },
        error: (e) => {
          clearTimeout(timer);
          results.push({ errors: Array.isArray(e) ? e : [e] });
          resolve(results);
        },
        complete: () => {
          clearTimeout(timer);
          resolve(results);
        },
      },
    );
    void reject;
  });
  return { done, unsubscribe: () => unsubscribe() };
}
