import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from '../../src/db/unavailable';

const withCode = (code: string) => Object.assign(new Error('x'), { code });

describe('isDatabaseUnavailable: which errors mean the database could not be reached', () => {
  it.each(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '08006', '08001', '57P01', '57P02', '57P03', '53300'])(
    '%s is',
    (code) => expect(isDatabaseUnavailable(withCode(code))).toBe(true),
  );

  it.each(['23505', '42P01', '40001', '57014', 'BAD_USER_INPUT', 'FORBIDDEN'])('%s is not (a statement failed on a working connection, or a client error)', (code) =>
    expect(isDatabaseUnavailable(withCode(code))).toBe(false),
  );

  it('looks through drizzle’s wrapper (cause), GraphQL errors (originalError) and AggregateError', () => {
    const drizzle = Object.assign(new Error('Failed query: select 1'), { cause: withCode('57P01') });
    expect(isDatabaseUnavailable(new GraphQLError('x', { originalError: drizzle }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([withCode('ECONNREFUSED')]))).toBe(true);
    expect(isDatabaseUnavailable(new Error('plain'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable('ECONNRESET')).toBe(false);
  });
});
