import { parseGlobalId, toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient, GraphQLResponse } from './client';
import {
  articleBody,
  articleMatches,
  articleNotes,
  articleVisible,
  customerVisible,
  explainArticle,
  explainCustomer,
  explainTicket,
  heldSomewhere,
  lookupByContact,
  matchedIn,
  pii,
  snippetRefused,
  ticketVisible,
  type ArticleM,
  type CustomerM,
  type FieldM,
  type Perm,
  type PiiField,
  type ViewerM,
} from './policy-model';
import type { Rng } from './prng';
import { BODY_WORD, EMAILS, NOTES_WORD, PHONES, TERMS, type World } from './policy-world';

/**
 * The operations of the differential test: each asks the API one thing over HTTP (every page of a list),
 * and lists how the answer differs from the reference model, one line per difference, each with a class
 * (operation.aspect) for the summary.
 */

export type Diff = { cls: string; message: string };
export type Outcome = { op: string; diffs: Diff[]; /** The model expected some records and refused others: the case could tell a wrong policy. */ partial: boolean };
type Ctx = { world: World; client: GraphQLClient; viewer: ViewerM; rng: Rng; at: () => Date };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are walked by path
type Json = any;

const raw = (globalId: string) => parseGlobalId(globalId).id;
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** The errors of one response by path, taken one by one by the checks; what is left over is unexpected. */
class Errors {
  private byPath = new Map<string, string[]>();
  constructor(r: GraphQLResponse<Json>) {
    for (const e of r.errors ?? []) {
      const key = JSON.stringify(e.path ?? []);
      this.byPath.set(key, [...(this.byPath.get(key) ?? []), String(e.extensions?.code ?? e.message)]);
    }
  }
  take(path: (string | number)[]): string[] {
    const key = JSON.stringify(path);
    const codes = this.byPath.get(key) ?? [];
    this.byPath.delete(key);
    return codes;
  }
  /** Drop the errors at and below a path (of a record already reported as wrongly listed). */
  takeUnder(path: (string | number)[]) {
    const prefix = JSON.stringify(path).slice(0, -1);
    for (const key of [...this.byPath.keys()]) if (key.startsWith(prefix)) this.byPath.delete(key);
  }
  rest(): string[] {
    return [...this.byPath].map(([path, codes]) => `${codes.join(',')} at ${path}`);
  }
}

class Report {
  readonly diffs: Diff[] = [];
  constructor(
    private world: World,
    readonly op: string,
  ) {}
  add(aspect: string, message: string) {
    this.diffs.push({ cls: `${this.op}.${aspect}`, message });
  }
  name = (id: string) => this.world.label.get(id) ?? id;

  /** Missing, extra and repeated ids, each record named and, with `why`, what the model's decision rests on. */
  ids(aspect: string, expected: string[], actual: string[], why?: (id: string) => string | undefined) {
    const named = (id: string) => {
      const reason = why?.(id);
      return reason ? `${this.name(id)} [${reason}]` : this.name(id);
    };
    const dup = actual.filter((id, i) => actual.indexOf(id) !== i);
    const missing = expected.filter((id) => !actual.includes(id));
    const extra = actual.filter((id) => !expected.includes(id));
    if (dup.length) this.add(`${aspect}.repeated`, `listed twice: ${[...new Set(dup)].map(this.name).join('; ')}`);
    if (missing.length) this.add(`${aspect}.missing`, `missing (the model shows them): ${missing.map(named).join('; ')}`);
    if (extra.length) this.add(`${aspect}.extra`, `extra (the model refuses them): ${extra.map(named).join('; ')}`);
  }

  field(aspect: string, what: string, expected: FieldM, actual: unknown, codes: string[]) {
    if ('value' in expected) {
      if (actual !== expected.value || codes.length) this.add(aspect, `${what}: expected ${show(expected.value)}, got ${show(actual)}${codes.length ? ` with ${codes.join(',')}` : ''}`);
    } else if (actual !== null || codes.length !== 1 || !expected.refused.includes(codes[0])) {
      this.add(aspect, `${what}: expected null with ${expected.refused.join(' or ')}, got ${show(actual)}${codes.length ? ` with ${codes.join(',')}` : ' without an error'}`);
    }
  }

  leftover(errors: Errors) {
    for (const e of errors.rest()) this.add('error', `unexpected error ${e}`);
  }
}

/**
 * Every page of a connection at `path`. A refused root (null with an error) ends the walk; `refusal`
 * holds its codes.
 */
async function allPages(ctx: Ctx, query: string, vars: Record<string, unknown>, path: string[]) {
  const pages: { conn: Json; errors: Errors; prefix: (string | number)[] }[] = [];
  let after: string | undefined;
  for (let n = 0; n < 60; n++) {
    const r = await ctx.client.request<Json>(query, { ...vars, after });
    const errors = new Errors(r);
    let conn: Json = r.data;
    for (const p of path) conn = conn?.[p];
    if (!conn) {
      const codes = path.map((_, i) => errors.take(path.slice(0, i + 1))).flat();
      return { pages, refusal: codes.length ? codes : ['(no data)'], errors };
    }
    pages.push({ conn, errors, prefix: path });
    if (!conn.pageInfo?.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return { pages, refusal: undefined, errors: undefined };
}

/** A refused list is right only when the model expects nothing and the viewer holds the permission nowhere. */
function checkRefusal(rep: Report, ctx: Ctx, refusal: string[], expected: string[], perm: Perm) {
  if (expected.length === 0 && !heldSomewhere(ctx.viewer, perm, ctx.at()) && refusal.every((c) => c === 'FORBIDDEN')) return;
  rep.add('refused', `refused with ${refusal.join(',')}; the model shows ${expected.length ? expected.map(rep.name).join('; ') : 'an empty list'}`);
}

/** A record the model hides is null, maybe with NOT_FOUND; FORBIDDEN only if the viewer holds the permission nowhere. */
function checkHidden(rep: Report, ctx: Ctx, what: string, actual: Json, codes: string[], perm: Perm) {
  const ok = codes.every((c) => c === 'NOT_FOUND' || (c === 'FORBIDDEN' && !heldSomewhere(ctx.viewer, perm, ctx.at())));
  if (actual !== null || !ok) rep.add('hidden', `${what}: expected null, got ${show(actual)}${codes.length ? ` with ${codes.join(',')}` : ''}`);
}

const byId = <T extends { id: string }>(xs: T[], id: string) => xs.find((x) => x.id === id);

function checkArticleFields(rep: Report, ctx: Ctx, a: ArticleM, node: Json, errors: Errors, path: (string | number)[]) {
  rep.field('body', `body of ${rep.name(a.id)}`, articleBody(ctx.viewer, a), node.body, errors.take([...path, 'body']));
  rep.field('internalNotes', `internalNotes of ${rep.name(a.id)}`, articleNotes(ctx.viewer, a, ctx.at()), node.internalNotes, errors.take([...path, 'internalNotes']));
}

const articleWhy = (ctx: Ctx, query?: string) => (id: string) => {
  const a = byId(ctx.world.articles, id);
  return a && `${explainArticle(ctx.viewer, a, ctx.at())}${query ? `; ${matchedIn(a, query)}` : ''}`;
};
const customerWhy = (ctx: Ctx) => (id: string) => {
  const c = byId(ctx.world.customers, id);
  return c && explainCustomer(ctx.viewer, c, ctx.at());
};
const ticketWhy = (ctx: Ctx) => (id: string) => {
  const t = byId(ctx.world.tickets, id);
  return t && explainTicket(ctx.viewer, t, ctx.at());
};

const ARTICLE_FIELDS = 'id body internalNotes';
const PAGE = 'pageInfo { hasNextPage endCursor }';

async function articlesList(ctx: Ctx): Promise<Outcome> {
  const first = ctx.rng.pick([3, 7, 20, 50]);
  const rep = new Report(ctx.world, 'articles');
  const expected = ctx.world.articles.filter((a) => articleVisible(ctx.viewer, a, ctx.at()));
  const q = `query($first: Int, $after: String) { articles(first: $first, after: $after) { edges { node { ${ARTICLE_FIELDS} } } ${PAGE} } }`;
  const { pages, refusal } = await allPages(ctx, q, { first }, ['articles']);
  if (refusal) checkRefusal(rep, ctx, refusal, expected.map((a) => a.id), 'ARTICLE_READ');
  const seen: string[] = [];
  for (const p of pages) {
    p.conn.edges.forEach((e: Json, i: number) => {
      const id = raw(e.node.id);
      seen.push(id);
      const a = expected.find((x) => x.id === id);
      const path = [...p.prefix, 'edges', i, 'node'];
      // An extra article is reported as such; its field errors say nothing more.
      if (a) checkArticleFields(rep, ctx, a, e.node, p.errors, path);
      else for (const f of ['body', 'internalNotes']) p.errors.take([...path, f]);
    });
    rep.leftover(p.errors);
  }
  if (!refusal) rep.ids('ids', expected.map((a) => a.id), seen, articleWhy(ctx));
  return { op: `articles(first: ${first}), every page`, diffs: rep.diffs, partial: expected.length > 0 && expected.length < ctx.world.articles.length };
}

async function articleById(ctx: Ctx): Promise<Outcome> {
  const foreign = ctx.rng.chance(0.1);
  const a = foreign ? undefined : ctx.rng.pick(ctx.world.articles);
  const id = a ? toGlobalId('Article', a.id) : ctx.rng.pick(ctx.world.foreign.filter((f) => f.startsWith('QXJ0')));
  const rep = new Report(ctx.world, 'article');
  const r = await ctx.client.request<Json>(`query($id: ID!) { article(id: $id) { ${ARTICLE_FIELDS} } }`, { id });
  const errors = new Errors(r);
  const visible = a !== undefined && articleVisible(ctx.viewer, a, ctx.at());
  if (a && visible) {
    if (!r.data?.article) rep.add('visible', `${rep.name(a.id)}: expected the article, got null${show(errors.take(['article']))}`);
    else checkArticleFields(rep, ctx, a, r.data.article, errors, ['article']);
  } else checkHidden(rep, ctx, a ? rep.name(a.id) : "another tenant's article", r.data?.article ?? null, errors.take(['article']), 'ARTICLE_READ');
  rep.leftover(errors);
  return { op: `article(id: ${a ? rep.name(a.id) : `foreign ${id}`}) { ${ARTICLE_FIELDS} }`, diffs: rep.diffs, partial: true };
}

async function nodeById(ctx: Ctx): Promise<Outcome> {
  const w = ctx.world;
  const kind = ctx.rng.pick(['Article', 'Customer', 'CustomerContact', 'Ticket', 'foreign'] as const);
  const at = ctx.at();
  let id: string;
  let visible = false;
  let perm: Perm = 'ARTICLE_READ';
  let name: string;
  if (kind === 'Article') {
    const a = ctx.rng.pick(w.articles);
    [id, visible, name] = [toGlobalId(kind, a.id), articleVisible(ctx.viewer, a, at), w.label.get(a.id)!];
  } else if (kind === 'Customer') {
    const c = ctx.rng.pick(w.customers);
    [id, visible, perm, name] = [toGlobalId(kind, c.id), customerVisible(ctx.viewer, c, at), 'CUSTOMER_READ', w.label.get(c.id)!];
  } else if (kind === 'CustomerContact') {
    const c = ctx.rng.pick(w.customers.filter((x) => x.contacts.length));
    const k = ctx.rng.pick(c.contacts);
    [id, visible, perm, name] = [toGlobalId(kind, k.id), customerVisible(ctx.viewer, c, at), 'CUSTOMER_READ', w.label.get(k.id)!];
  } else if (kind === 'Ticket') {
    const t = ctx.rng.pick(w.tickets);
    [id, visible, perm, name] = [toGlobalId(kind, t.id), ticketVisible(ctx.viewer, t, at), 'TICKET_READ', w.label.get(t.id)!];
  } else {
    id = ctx.rng.pick(w.foreign);
    const type = parseGlobalId(id).type;
    perm = type === 'Article' ? 'ARTICLE_READ' : type === 'Ticket' ? 'TICKET_READ' : 'CUSTOMER_READ';
    name = `another tenant's ${type}`;
  }
  const rep = new Report(w, 'node');
  const r = await ctx.client.request<Json>('query($id: ID!) { node(id: $id) { __typename id } }', { id });
  const errors = new Errors(r);
  if (visible) {
    if (r.data?.node?.id !== id) rep.add(`visible.${kind}`, `${name}: expected it, got ${show(r.data?.node)} ${show(errors.take(['node']))}`);
  } else {
    const before = rep.diffs.length;
    checkHidden(rep, ctx, name, r.data?.node ?? null, errors.take(['node']), perm);
    for (const d of rep.diffs.slice(before)) d.cls = `node.hidden.${kind}`;
  }
  rep.leftover(errors);
  return { op: `node(id: ${name} = ${id})`, diffs: rep.diffs, partial: true };
}

const SEARCH = `query($q: String!, $first: Int, $after: String) { searchArticles(query: $q, first: $first, after: $after) {
  totalCount edges { snippet node { id } } ${PAGE}
  facets { kinds { kind count } classifications { classification count } spaces { space { id } count } } } }`;

const countBy = (xs: string[]) => Object.fromEntries([...new Set(xs)].sort().map((k) => [k, xs.filter((x) => x === k).length]));

async function search(ctx: Ctx): Promise<Outcome> {
  const [t1, t2] = [ctx.rng.pick(TERMS), ctx.rng.pick(TERMS)];
  const query = ctx.rng.pick([t1, t1, `${t1} ${t2}`, t1.slice(0, 4), BODY_WORD, NOTES_WORD, 'misc', 'article', `${BODY_WORD} ${t1}`]);
  const first = ctx.rng.pick([3, 7, 20, 50]);
  const rep = new Report(ctx.world, 'search');
  const at = ctx.at();
  const hits = ctx.world.articles.filter((a) => articleVisible(ctx.viewer, a, at) && articleMatches(ctx.viewer, a, query));
  const { pages, refusal } = await allPages(ctx, SEARCH, { q: query, first }, ['searchArticles']);
  if (refusal) checkRefusal(rep, ctx, refusal, hits.map((a) => a.id), 'ARTICLE_READ');
  const seen: string[] = [];
  for (const [n, p] of pages.entries()) {
    if (p.conn.totalCount !== hits.length) rep.add('totalCount', `page ${n + 1}: totalCount ${p.conn.totalCount}, the model counts ${hits.length}`);
    if (n === 0) {
      const f = p.conn.facets;
      const actual = {
        kinds: countBy(f.kinds.flatMap((k: Json) => Array(k.count).fill(k.kind))),
        classifications: countBy(f.classifications.flatMap((k: Json) => Array(k.count).fill(k.classification))),
        spaces: countBy(f.spaces.flatMap((k: Json) => Array(k.count).fill(k.space ? ctx.world.label.get(raw(k.space.id)) : 'none'))),
      };
      const expected = {
        kinds: countBy(hits.map((a) => a.kind)),
        classifications: countBy(hits.map((a) => a.classification)),
        spaces: countBy(hits.map((a) => (a.spaceId ? ctx.world.label.get(a.spaceId)! : 'none'))),
      };
      for (const k of ['kinds', 'classifications', 'spaces'] as const)
        if (JSON.stringify(actual[k]) !== JSON.stringify(expected[k])) rep.add('facets', `facets.${k}: ${show(actual[k])}, the model counts ${show(expected[k])}`);
      for (const [i] of f.spaces.entries()) p.errors.take([...p.prefix, 'facets', 'spaces', i, 'space']);
    }
    p.conn.edges.forEach((e: Json, i: number) => {
      const id = raw(e.node.id);
      seen.push(id);
      const a = byId(hits, id);
      const codes = p.errors.take([...p.prefix, 'edges', i, 'snippet']);
      if (!a) return;
      if (snippetRefused(ctx.viewer, a)) rep.field('snippet', `snippet of ${rep.name(a.id)}`, { refused: ['MFA_REQUIRED'] }, e.snippet, codes);
      else if (typeof e.snippet !== 'string' || codes.length) rep.add('snippet', `snippet of ${rep.name(a.id)}: expected a passage, got ${show(e.snippet)} ${codes.join(',')}`);
    });
    rep.leftover(p.errors);
  }
  if (!refusal) rep.ids('ids', hits.map((a) => a.id), seen, articleWhy(ctx, query));
  return { op: `searchArticles(query: ${show(query)}, first: ${first}), every page`, diffs: rep.diffs, partial: hits.length > 0 };
}

async function categoryArticles(ctx: Ctx): Promise<Outcome> {
  const c = ctx.rng.pick(ctx.world.categories);
  const first = ctx.rng.pick([3, 7, 20]);
  const rep = new Report(ctx.world, 'category');
  const expected = ctx.world.articles.filter((a) => a.categoryId === c.id && articleVisible(ctx.viewer, a, ctx.at())).map((a) => a.id);
  const q = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Category { articles(first: $first, after: $after) { edges { node { id } } ${PAGE} } } } }`;
  const { pages, refusal } = await allPages(ctx, q, { id: toGlobalId('Category', c.id), first }, ['node', 'articles']);
  // Who sees a category is not part of the rules: an unseen category is right as long as none of its articles is visible.
  if (refusal && !(expected.length === 0 && refusal.every((c) => c === '(no data)' || c === 'FORBIDDEN'))) checkRefusal(rep, ctx, refusal, expected, 'ARTICLE_READ');
  const seen = pages.flatMap((p) => p.conn.edges.map((e: Json) => raw(e.node.id)));
  for (const p of pages) rep.leftover(p.errors);
  if (!refusal) rep.ids('ids', expected, seen, articleWhy(ctx));
  return { op: `node(id: category ${rep.name(c.id)}) { articles(first: ${first}) }, every page`, diffs: rep.diffs, partial: expected.length > 0 };
}

const CUSTOMER_FIELDS = 'id phone email idNumber address contacts { id phone email }';
const PII_FIELDS: PiiField[] = ['phone', 'email', 'idNumber', 'address'];

function checkCustomerFields(rep: Report, ctx: Ctx, c: CustomerM, node: Json, errors: Errors, path: (string | number)[]) {
  const at = ctx.at();
  for (const f of PII_FIELDS) rep.field('pii', `${f} of ${rep.name(c.id)}`, pii(ctx.viewer, c, f, c[f], at), node[f], errors.take([...path, f]));
  const contacts: Json[] = node.contacts ?? [];
  rep.ids('contacts', c.contacts.map((k) => k.id), contacts.map((k) => raw(k.id)));
  contacts.forEach((k: Json, i: number) => {
    const m = byId(c.contacts, raw(k.id));
    if (!m) return;
    for (const f of ['phone', 'email'] as const) rep.field('contactPii', `${f} of ${rep.name(m.id)}`, pii(ctx.viewer, c, f, m[f], at), k[f], errors.take([...path, 'contacts', i, f]));
  });
}

async function customersList(ctx: Ctx): Promise<Outcome> {
  const first = ctx.rng.pick([3, 7, 20]);
  const rep = new Report(ctx.world, 'customers');
  const expected = ctx.world.customers.filter((c) => customerVisible(ctx.viewer, c, ctx.at()));
  const q = `query($first: Int, $after: String) { customers(first: $first, after: $after) { edges { node { ${CUSTOMER_FIELDS} } } ${PAGE} } }`;
  const { pages, refusal } = await allPages(ctx, q, { first }, ['customers']);
  if (refusal) checkRefusal(rep, ctx, refusal, expected.map((c) => c.id), 'CUSTOMER_READ');
  const seen: string[] = [];
  for (const p of pages) {
    p.conn.edges.forEach((e: Json, i: number) => {
      const id = raw(e.node.id);
      seen.push(id);
      const c = byId(expected, id);
      if (c) checkCustomerFields(rep, ctx, c, e.node, p.errors, [...p.prefix, 'edges', i, 'node']);
      else p.errors.takeUnder([...p.prefix, 'edges', i]);
    });
    rep.leftover(p.errors);
  }
  if (!refusal) rep.ids('ids', expected.map((c) => c.id), seen, customerWhy(ctx));
  return { op: `customers(first: ${first}) { ${CUSTOMER_FIELDS} }, every page`, diffs: rep.diffs, partial: expected.length > 0 && expected.length < ctx.world.customers.length };
}

async function customerById(ctx: Ctx): Promise<Outcome> {
  const foreign = ctx.rng.chance(0.1);
  const c = foreign ? undefined : ctx.rng.pick(ctx.world.customers);
  const id = c ? toGlobalId('Customer', c.id) : ctx.rng.pick(ctx.world.foreign.filter((f) => parseGlobalId(f).type === 'Customer'));
  const rep = new Report(ctx.world, 'customer');
  const at = ctx.at();
  const r = await ctx.client.request<Json>(`query($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} tickets(first: 50) { edges { node { id } } ${PAGE} } } }`, { id });
  const errors = new Errors(r);
  if (c && customerVisible(ctx.viewer, c, at)) {
    const node = r.data?.customer;
    if (!node) rep.add('visible', `${rep.name(c.id)}: expected the customer, got null ${show(errors.take(['customer']))}`);
    else {
      checkCustomerFields(rep, ctx, c, node, errors, ['customer']);
      const expected = ctx.world.tickets.filter((t) => t.customerId === c.id && ticketVisible(ctx.viewer, t, at)).map((t) => t.id);
      if (node.tickets === null) checkRefusal(rep, ctx, errors.take(['customer', 'tickets']), expected, 'TICKET_READ');
      else rep.ids('tickets', expected, node.tickets.edges.map((e: Json) => raw(e.node.id)), ticketWhy(ctx));
    }
  } else checkHidden(rep, ctx, c ? rep.name(c.id) : "another tenant's customer", r.data?.customer ?? null, errors.take(['customer']), 'CUSTOMER_READ');
  rep.leftover(errors);
  return { op: `customer(id: ${c ? rep.name(c.id) : `foreign ${id}`}) { ${CUSTOMER_FIELDS} tickets(first: 50) }`, diffs: rep.diffs, partial: true };
}

/** A phone as a person might type it: spaces or dashes (the lookup ignores them). */
const typed = (rng: Rng, phone: string) => rng.pick([phone, `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`, `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`]);

async function customerByContact(ctx: Ctx): Promise<Outcome> {
  const byPhone = ctx.rng.chance(0.7);
  const by = byPhone ? { phone: typed(ctx.rng, ctx.rng.pick(PHONES)) } : { email: ctx.rng.pick([...EMAILS, ...ctx.world.customers.map((c) => c.email)]).toUpperCase() };
  const rep = new Report(ctx.world, 'customerByContact');
  const expected = lookupByContact(ctx.viewer, ctx.world.customers, by, ctx.at());
  const r = await ctx.client.request<Json>(`query($phone: String, $email: String) { customerByContact(phone: $phone, email: $email) { id } }`, by);
  const errors = new Errors(r);
  const codes = errors.take(['customerByContact']);
  const list = r.data?.customerByContact;
  if ('refused' in expected) {
    if (list || codes.join() !== 'FORBIDDEN') rep.add('refused', `expected FORBIDDEN, got ${show(list?.map((x: Json) => rep.name(raw(x.id))))} ${codes.join(',')}`);
  } else if (!list) rep.add('answered', `refused with ${codes.join(',')}; the model finds ${expected.ids.map(rep.name).join('; ') || 'nobody'}`);
  else rep.ids('ids', expected.ids, list.map((x: Json) => raw(x.id)), customerWhy(ctx));
  rep.leftover(errors);
  return { op: `customerByContact(${show(by)}) { id }`, diffs: rep.diffs, partial: 'ids' in expected && expected.ids.length > 0 };
}

async function ticketsList(ctx: Ctx): Promise<Outcome> {
  const first = ctx.rng.pick([3, 7, 20, 50]);
  const rep = new Report(ctx.world, 'tickets');
  const expected = ctx.world.tickets.filter((t) => ticketVisible(ctx.viewer, t, ctx.at())).map((t) => t.id);
  const q = `query($first: Int, $after: String) { tickets(first: $first, after: $after) { edges { node { id } } ${PAGE} } }`;
  const { pages, refusal } = await allPages(ctx, q, { first }, ['tickets']);
  if (refusal) checkRefusal(rep, ctx, refusal, expected, 'TICKET_READ');
  for (const p of pages) rep.leftover(p.errors);
  if (!refusal) rep.ids('ids', expected, pages.flatMap((p) => p.conn.edges.map((e: Json) => raw(e.node.id))), ticketWhy(ctx));
  return { op: `tickets(first: ${first}), every page`, diffs: rep.diffs, partial: expected.length > 0 && expected.length < ctx.world.tickets.length };
}

async function ticketById(ctx: Ctx): Promise<Outcome> {
  const foreign = ctx.rng.chance(0.1);
  const t = foreign ? undefined : ctx.rng.pick(ctx.world.tickets);
  const id = t ? toGlobalId('Ticket', t.id) : ctx.rng.pick(ctx.world.foreign.filter((f) => parseGlobalId(f).type === 'Ticket'));
  const rep = new Report(ctx.world, 'ticket');
  const r = await ctx.client.request<Json>('query($id: ID!) { ticket(id: $id) { id } }', { id });
  const errors = new Errors(r);
  if (t && ticketVisible(ctx.viewer, t, ctx.at())) {
    if (r.data?.ticket?.id !== id) rep.add('visible', `${rep.name(t.id)}: expected the ticket, got ${show(r.data?.ticket)} ${show(errors.take(['ticket']))}`);
  } else checkHidden(rep, ctx, t ? rep.name(t.id) : "another tenant's ticket", r.data?.ticket ?? null, errors.take(['ticket']), 'TICKET_READ');
  rep.leftover(errors);
  return { op: `ticket(id: ${t ? rep.name(t.id) : `foreign ${id}`})`, diffs: rep.diffs, partial: true };
}

/** The operations with their weights (lists and search, where most of the policy shows, more often). */
export const OPERATIONS: [number, (ctx: Ctx) => Promise<Outcome>][] = [
  [3, articlesList],
  [2, articleById],
  [2, nodeById],
  [4, search],
  [1, categoryArticles],
  [3, customersList],
  [2, customerById],
  [2, customerByContact],
  [1, ticketsList],
  [1, ticketById],
];

export function pickOperation(rng: Rng) {
  const total = OPERATIONS.reduce((s, [w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [w, op] of OPERATIONS) if ((x -= w) < 0) return op;
  return OPERATIONS[0][1];
}

export type { Ctx as OperationContext };
