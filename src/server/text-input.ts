import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type ASTNode, type DocumentNode } from 'graphql';
import { findUnstorableText, isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../lib/storable-text';

/**
 * Every GraphQL string input, inline literal or variable, is checked here before execution, on HTTP
 * (the plugin below) and WebSocket (ws.ts): text PostgreSQL cannot store would otherwise fail deep in a
 * statement as an internal error, or be stored altered.
 */
export function unstorableTextError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
  let literal: ASTNode | undefined;
  // The lexer refuses a raw lone surrogate in a string, not a raw NUL; a \u escape can make either.
  // A document with neither (nearly all) needs no walk.
  const source = document.loc?.source.body;
  if (source === undefined || source.includes('\\u') || source.includes('\0')) visit(document, {
    StringValue(node) {
      if (!literal && !isStorableText(node.value)) literal = node;
    },
  });
  if (literal) return new GraphQLError(UNSTORABLE_TEXT_MESSAGE, { nodes: [literal], extensions: { code: 'BAD_USER_INPUT' } });
  const path = findUnstorableText(variables ?? {});
  if (path) {
    const [name, ...rest] = path;
    const where = `$${name}${rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
    return new GraphQLError(`${UNSTORABLE_TEXT_MESSAGE} (variable ${JSON.stringify(where)})`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return undefined;
}

/** Apollo: refused after the operation is resolved, before execution, with HTTP 400 like other variable errors. */
export const storableTextPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, request }) {
        const error = unstorableTextError(document, request.variables);
        if (error) throw new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } });
      },
    };
  },
};
