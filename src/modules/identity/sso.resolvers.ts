import type { Resolvers } from '../../__generated__/resolvers-types';
import { rotateScimToken } from './scim.service';
import { beginSso, completeSso, configureIdentityProvider, identityProvider } from './sso.service';

/** Single sign-on (OpenID Connect) and SCIM set-up. */
export const ssoResolvers: Resolvers = {
  Query: {
    identityProvider: (_, __, ctx) => identityProvider(ctx),
  },
  Mutation: {
    configureIdentityProvider: (_, { input }, ctx) => configureIdentityProvider(ctx, input),
    beginSso: (_, { tenant, redirectUri }, ctx) => beginSso(ctx, tenant, redirectUri),
    completeSso: (_, { input }, ctx) => completeSso(ctx, input),
    rotateScimToken: (_, { transferToUserId }, ctx) => rotateScimToken(ctx, transferToUserId ?? null),
  },
};
