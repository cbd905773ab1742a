import type { Resolvers } from '../../__generated__/resolvers-types';
import { idOf, toGlobalId } from '../../lib/global-id';
import { createCustomer, customerById, customerPage, editCustomer } from './customer.service';

export const customerResolvers: Resolvers = {
  Query: {
    customers: (_, args, ctx) => customerPage(ctx, args),
    customer: (_, { id }, ctx) => customerById(ctx, idOf(id, 'Customer')),
  },
  Mutation: {
    createCustomer: (_, { input }, ctx) => createCustomer(ctx, input),
    updateCustomer: (_, { input }, ctx) => editCustomer(ctx, input),
  },
  Customer: {
    id: (c) => toGlobalId('Customer', c.id),
    // Explicit resolvers for @sensitive fields: the authorization transform wraps them (mask + audit).
    phone: (c) => c.phone,
    email: (c) => c.email,
    owner: (c, _, ctx) => (c.ownerId ? ctx.loaders.user.load(c.ownerId).then((u) => u ?? null) : null),
  },
};
