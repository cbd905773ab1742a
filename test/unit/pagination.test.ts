import { decodeCursor, encodeCursor, parsePage, toConnection, MAX_PAGE_SIZE } from '../../src/lib/pagination';
import { idOf, parseGlobalId, toGlobalId } from '../../src/lib/global-id';

const ID = '3f2c7a4e-8d1b-4c55-9a0e-1b2c3d4e5f60';

describe('cursors and pages', () => {
  it('round-trips a cursor', () => {
    const p = { at: '2026-11-29 07:39:57.582123+00', id: ID };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
  });

  it.each(['', 'abc', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url'), 'a'.repeat(5000)])(
    'refuses a malformed cursor %#',
    (c) => {
      expect(() => decodeCursor(c)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    },
  );

  it('bounds the page size', () => {
    expect(parsePage({}).limit).toBe(20);
    expect(parsePage({ first: MAX_PAGE_SIZE }).limit).toBe(MAX_PAGE_SIZE);
    for (const first of [0, -1, MAX_PAGE_SIZE + 1, 1.5]) {
      expect(() => parsePage({ first })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', max: MAX_PAGE_SIZE }) }));
    }
  });

  it('uses the extra row only to tell that a next page exists', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `${ID.slice(0, -1)}${n}`, cursorAt: `2026-01-0${n}` }));
    const c = toConnection(rows, { limit: 2, after: null });
    expect(c.edges).toHaveLength(2);
    expect(c.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(c.pageInfo.endCursor!).id).toBe(rows[1].id);
    expect(toConnection(rows.slice(0, 2), { limit: 2, after: null }).pageInfo.hasNextPage).toBe(false);
  });
});

describe('global ids', () => {
  it('round-trips and checks the type', () => {
    const gid = toGlobalId('Article', ID);
    expect(parseGlobalId(gid)).toEqual({ type: 'Article', id: ID });
    expect(idOf(gid, 'Article')).toBe(ID);
    expect(() => idOf(gid, 'Customer')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });

  it.each(['', 'x', toGlobalId('Article', 'not-a-uuid'), Buffer.from(`Article:${ID}'--`).toString('base64url')])('refuses %p', (gid) => {
    expect(() => parseGlobalId(gid)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});
