import { MAX_QUERY_LENGTH, parseSearchQuery, queryTerms, searchDocument, snippetHtml, toTsquery, WORD_SEPARATOR } from '../../src/modules/knowledge/search-text';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
  return undefined;
};

describe('search text: jieba segmentation and the query sanitiser', () => {
  it('cuts Chinese into words so that 退款 is a word of 退款流程', () => {
    expect(queryTerms('退款流程')).toEqual(['退款', '流程']);
    const doc = searchDocument({ title: '退款流程（FAQ）', body: '客户申请退款时：核对订单号。', tags: ['refund'] });
    expect(doc.title.split(WORD_SEPARATOR)).toEqual(['退款', '流程', 'FAQ']);
    expect(doc.body.split(WORD_SEPARATOR)).toEqual(expect.arrayContaining(['客户', '申请', '退款', '订单号']));
    expect(doc.tags).toBe('refund');
  });

  it('keeps the full body, punctuation included, in the headline text', () => {
    const body = '客户申请退款时：核对订单号。Refunds <b>take</b> 7 days!';
    expect(searchDocument({ title: 't', body }).headline.split(WORD_SEPARATOR).join('')).toBe(body);
  });

  it('strips control characters (our separators and markers) from what it indexes', () => {
    const doc = searchDocument({ title: 'a\u0002b', body: 'x\u001fy\u0003z' });
    expect(doc.headline.includes('\u0002') || doc.headline.includes('\u0003')).toBe(false);
    expect(doc.headline.split(WORD_SEPARATOR).join('')).toBe('x y z');
  });

  it('lower-cases and folds full-width letters, and drops duplicates and function words', () => {
    expect(queryTerms('ＦＡＱ Refund refund the 退款')).toEqual(['faq', 'refund', '退款']);
    expect(queryTerms('the')).toEqual(['the']);
  });

  it.each([
    ['& | ! ( ) : * \' \\', null],
    ["refund & !password", "'refund':* & 'password':*"],
    ["退款' OR 1=1 --", "'退款':* & '1'"],
    ['(退款|refund):*', "'退款':* & 'refund':*"],
    ["'; drop table articles; --", "'drop':* & 'table':* & 'articles':*"],
    ['😀🙂', null],
    ['退款😀', "'退款':*"],
    ['a', "'a'"],
    ['2026', "'2026'"],
  ])('turns %j into tsquery text with no operator of the user: %j', (query, expected) => {
    expect(parseSearchQuery(query).tsquery).toBe(expected);
  });

  it('quotes every term and lets only letters and digits through', () => {
    const tsquery = toTsquery(queryTerms(`it's a \\'trap' & <b>x</b> ｜ 退款!`))!;
    for (const part of tsquery.split(' & ')) expect(part).toMatch(/^'[\p{L}\p{N}]+'(:\*)?$/u);
  });

  it('refuses empty and over-long queries with BAD_USER_INPUT', () => {
    expect(codeOf(() => parseSearchQuery(''))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseSearchQuery('   '))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseSearchQuery('退'.repeat(MAX_QUERY_LENGTH + 1)))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseSearchQuery('x'.repeat(10_000)))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseSearchQuery('退'.repeat(MAX_QUERY_LENGTH)))).toBeUndefined();
  });

  it('makes snippets safe HTML: separators removed, article text escaped, matches in <mark>', () => {
    const headline = ['<script>', '\u0002退款\u0003', '&', '"x"'].join(WORD_SEPARATOR);
    expect(snippetHtml(headline)).toBe('&lt;script&gt;<mark>退款</mark>&amp;&quot;x&quot;');
  });
});
