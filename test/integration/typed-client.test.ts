import path from 'node:path';
import ts from 'typescript';
import { firstCustomers } from '../../examples/typed-client/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * The typed client example (examples/typed-client): it compiles against the code graphql-codegen
 * generated from schema.graphql, its types reject a wrong variable or field, and it runs against
 * a real server, where the policy decides what each signed-in user gets back.
 */
const EXAMPLE = path.resolve(__dirname, '../../examples/typed-client');

/** Type-check the example, plus `extra` as another file of it; the diagnostics as text. */
function compile(extra?: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const extraFile = path.join(EXAMPLE, 'extra.ts');
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (f === extraFile && extra !== undefined ? extra : readFile(f));
  host.fileExists = ((exists) => (f: string) => (f === extraFile && extra !== undefined) || exists(f))(host.fileExists.bind(host));
  const roots = [path.join(EXAMPLE, 'client.ts'), ...(extra === undefined ? [] : [extraFile])];
  const program = ts.createProgram(roots, options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the typed client example', () => {
  it('compiles, and its types catch a wrong variable and a field the operation did not select', () => {
    expect(compile()).toEqual([]);
    const misuse = [
      "import { execute } from './client';",
      "import { FirstCustomersDocument } from './gql/graphql';",
      "export const run = async () => {",
      "  const page = await execute('http://x/graphql', FirstCustomersDocument, { first: 'three' });",
      '  return page.customers.edges[0].node.tier;',
      '};',
    ].join('\n');
    const errors = compile(misuse).join('\n');
    expect(errors).toMatch(/'string' is not assignable to type 'number'/);
    expect(errors).toMatch(/Property 'tier' does not exist/);
  });

  describe('against a running Warden', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await createTestServer();
    });
    afterAll(() => server.stop());

    it('signs in and reads customers, masked for an agent and in full for a lead', async () => {
      const asAgent = await firstCustomers(server.url, 'agent@acme.test', 2);
      expect(asAgent).toHaveLength(2);
      expect(asAgent[0].phone).toMatch(/\*/);
      const asLead = await firstCustomers(server.url, 'lead@acme.test', 2);
      expect(asLead.map((c) => c.id)).toEqual(asAgent.map((c) => c.id));
      expect(asLead[0].phone).toMatch(/^\+?[\d ]+$/);
    });

    it('reports a refusal with its code', async () => {
      await expect(firstCustomers(server.url, 'analyst@acme.test', 2)).rejects.toThrow(/^FORBIDDEN: /);
    });
  });
});
