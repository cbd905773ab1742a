/**
 * A typed Warden client in a few lines: graphql-codegen's client preset turned operations.graphql into
 * documents that carry their result and variable types (gql/graphql.ts), and `execute` sends one with
 * fetch. A misspelt field or a wrong variable is a compile error in the caller, not a runtime surprise.
 *
 *   npx tsx examples/typed-client/client.ts [http://localhost:4000/graphql]
 */
import { FirstCustomersDocument, SignInDocument, type FirstCustomersQuery, type TypedDocumentString } from './gql/graphql';

type GraphQLError = { message: string; path?: (string | number)[]; extensions?: { code?: string } };

/** Send one operation; the result is typed by the document. Throws when the response carries errors. */
export async function execute<TResult, TVariables>(
  url: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<TResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GraphQLError[] };
  if (body.errors?.length || !body.data) {
    const [first] = body.errors ?? [{ message: `HTTP ${response.status}` }];
    throw new Error(`${first.extensions?.code ?? 'ERROR'}: ${first.message}`);
  }
  return body.data;
}

/** Sign in as a demo user and read the first customers, as that user may see them. */
export async function firstCustomers(url: string, email: string, count = 3): Promise<FirstCustomersQuery['customers']['edges'][number]['node'][]> {
  const { login } = await execute(url, SignInDocument, { input: { tenant: 'acme', email, password: 'warden-demo-passphrase' } });
  const { customers } = await execute(url, FirstCustomersDocument, { first: count }, login.accessToken);
  return customers.edges.map((edge) => edge.node);
}

if (require.main === module) {
  const url = process.argv[2] ?? 'http://localhost:4000/graphql';
  firstCustomers(url, 'agent@acme.test').then(
    (nodes) => nodes.forEach((c) => console.warn(`${c.name}\t${c.phone ?? '-'}\t${c.email ?? '-'}`)),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
