import path from 'node:path';
import { GraphQLError, GraphQLScalarType, Kind, type GraphQLSchema } from 'graphql';
import { loadFilesSync } from '@graphql-tools/load-files';
import { mergeResolvers, mergeTypeDefs } from '@graphql-tools/merge';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyAuthorizationTransform } from './authz/transform';
import { auditResolvers } from './audit/audit.resolvers';
import { customerResolvers } from './modules/crm/customer.resolvers';
import { feedbackResolvers } from './modules/feedback/feedback.resolvers';
import { ticketResolvers } from './modules/tickets/ticket.resolvers';
import { identityResolvers } from './modules/identity/identity.resolvers';
import { lifecycleResolvers } from './modules/identity/lifecycle.resolvers';
import { ssoResolvers } from './modules/identity/sso.resolvers';
import { articleResolvers } from './modules/knowledge/article.resolvers';
import { searchResolvers } from './modules/knowledge/search.resolvers';
import { structureResolvers } from './modules/knowledge/structure.resolvers';
import { nodeResolvers } from './modules/node/node.resolvers';
import { accessResolvers } from './modules/access/access.resolvers';
import { alertResolvers } from './modules/alerts/alerts.resolvers';
import { emergencyResolvers } from './modules/emergency/emergency.resolvers';
import { reviewResolvers } from './modules/review/review.resolvers';

export const SCHEMA_DIR = path.resolve(__dirname, '../schema');

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 instant, e.g. 2026-11-29T07:30:00.000Z',
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: (v) => {
    const d = new Date(String(v));
    if (typeof v !== 'string' || Number.isNaN(d.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return d;
  },
  parseLiteral: (ast) => {
    const d = ast.kind === Kind.STRING ? new Date(ast.value) : new Date(NaN);
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return d;
  },
});

export const typeDefs = () => mergeTypeDefs(loadFilesSync(path.join(SCHEMA_DIR, '**/*.graphql')));

/** The schema with resolvers, before authorization (tests and benchmarks inspect this one). */
export function buildBaseSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: typeDefs(),
    resolvers: mergeResolvers([{ DateTime }, nodeResolvers, identityResolvers, lifecycleResolvers, ssoResolvers, articleResolvers, structureResolvers, searchResolvers, customerResolvers, auditResolvers, accessResolvers, ticketResolvers, feedbackResolvers, alertResolvers, emergencyResolvers, reviewResolvers]),
  });
}

/** The served schema: directives compiled into masking, subscribe guards and graphql-shield rules. */
export function buildSchema(): GraphQLSchema {
  return applyAuthorizationTransform(buildBaseSchema());
}
