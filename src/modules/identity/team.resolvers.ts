import type { Resolvers } from '../../__generated__/resolvers-types';
import { toGlobalId } from '../../lib/global-id';

export const teamResolvers: Resolvers = {
  Team: {
    id: (t) => toGlobalId('Team', t.id),
  },
};
