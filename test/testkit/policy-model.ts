/**
 * The documented access policy as a small reference model, written from the rules (README, "Security
 * model") and deliberately independent of src/authz: the differential test compares what the API answers
 * with what this model says. Pure functions over plain records; ids are raw uuids.
 */

export const MODEL_PERMISSIONS = [
  'ARTICLE_READ',
  'ARTICLE_WRITE',
  'ARTICLE_PUBLISH',
  'ARTICLE_INTERNAL_NOTES_READ',
  'CUSTOMER_READ',
  'PII_READ_MASKED',
  'PII_READ_FULL',
  'TICKET_READ',
] as const;
export type Perm = (typeof MODEL_PERMISSIONS)[number];

export const LEVELS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;
export type Level = (typeof LEVELS)[number];
/** What a role may clear: never RESTRICTED. */
export const ROLE_LEVELS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL'] as const;
export type RoleLevel = (typeof ROLE_LEVELS)[number];
export const STATUSES = ['DRAFT', 'IN_REVIEW', 'PUBLISHED', 'ARCHIVED'] as const;
export type Status = (typeof STATUSES)[number];
export const KINDS = ['FAQ', 'HOW_TO', 'RESOLUTION', 'POLICY'] as const;
export type Kind = (typeof KINDS)[number];

export type ScopeM = { type: 'TENANT' } | { type: 'TEAM'; teamId: string } | { type: 'SPACE'; spaceId: string } | { type: 'OWN' };
export type AssignmentM = { permissions: Perm[]; clearance: RoleLevel; scope: ScopeM };
export type GrantM = { permission: Perm; resourceId: string; expiresAt: Date };
export type ViewerM = { userId: string; assignments: AssignmentM[]; grants: GrantM[]; steppedUp: boolean };

export type ArticleM = {
  id: string;
  title: string;
  body: string;
  tags: string[];
  internalNotes: string | null;
  status: Status;
  classification: Level;
  kind: Kind;
  spaceId: string | null;
  categoryId: string | null;
  teamId: string | null;
  authorId: string | null;
};
export type ContactM = { id: string; customerId: string; phone: string; email: string };
export type CustomerM = {
  id: string;
  teamId: string | null;
  ownerId: string | null;
  phone: string;
  email: string;
  idNumber: string;
  address: string;
  contacts: ContactM[];
};
export type TicketM = { id: string; customerId: string; teamId: string | null; assigneeId: string | null };

/** A record as the policy sees it: who owns it, its team, its space, its classification (articles only). */
type Subject = { id: string; ownerId: string | null; teamId: string | null; spaceId?: string | null; classification?: Level };

const rank = (l: Level) => LEVELS.indexOf(l);
const covers = (scope: ScopeM, r: Subject, userId: string): boolean => {
  switch (scope.type) {
    case 'TENANT':
      return true;
    case 'TEAM':
      return r.teamId !== null && r.teamId === scope.teamId;
    case 'SPACE':
      return r.spaceId != null && r.spaceId === scope.spaceId;
    case 'OWN':
      return r.ownerId !== null && r.ownerId === userId;
  }
};

const liveGrant = (v: ViewerM, p: Perm, id: string, at: Date) => v.grants.some((g) => g.permission === p && g.resourceId === id && g.expiresAt > at);

/** P on r: a role assignment holding P whose scope covers r (and, for articles, whose clearance covers r), or a live grant of P on r. */
export function holds(v: ViewerM, p: Perm, r: Subject, at: Date): boolean {
  const cleared = (a: AssignmentM) => r.classification === undefined || (r.classification !== 'RESTRICTED' && rank(a.clearance) >= rank(r.classification));
  return v.assignments.some((a) => a.permissions.includes(p) && covers(a.scope, r, v.userId) && cleared(a)) || liveGrant(v, p, r.id, at);
}

/** Which of the viewer's roles (numbered from 1) and grants give P on r: for failure reports. */
function sources(v: ViewerM, p: Perm, r: Subject, at: Date): string {
  const roles = v.assignments.flatMap((a, i) => (holds({ ...v, assignments: [a], grants: [] }, p, r, at) ? [`role ${i + 1}`] : []));
  const grants = liveGrant(v, p, r.id, at) ? ['grant'] : [];
  return [...roles, ...grants].join('+') || 'none';
}

export const explainArticle = (v: ViewerM, a: ArticleM, at: Date) =>
  (['ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_PUBLISH'] as const).map((p) => `${p.slice(8)} ${sources(v, p, articleSubject(a), at)}`).join(', ');
export const explainCustomer = (v: ViewerM, c: CustomerM, at: Date) =>
  (['CUSTOMER_READ', 'PII_READ_FULL', 'PII_READ_MASKED'] as const).map((p) => `${p} ${sources(v, p, customerSubject(c), at)}`).join(', ');
export const explainTicket = (v: ViewerM, t: TicketM, at: Date) => `TICKET_READ ${sources(v, 'TICKET_READ', ticketSubject(t), at)}`;

/** Where each query word is found in an article (title, tags, body), for failure reports. */
export function matchedIn(a: ArticleM, query: string): string {
  const fields = { title: words(a.title), tags: a.tags.flatMap(words), body: words(a.body) };
  return words(query)
    .map((q) => `${q} in ${Object.entries(fields).filter(([, ws]) => ws.some((w) => w.startsWith(q))).map(([f]) => f).join('+') || 'nothing'}`)
    .join(', ');
}

/** P held on some record or other: by any role assignment, or by a live grant. */
export const heldSomewhere = (v: ViewerM, p: Perm, at: Date) => v.assignments.some((a) => a.permissions.includes(p)) || v.grants.some((g) => g.permission === p && g.expiresAt > at);

const articleSubject = (a: ArticleM): Subject => ({ id: a.id, ownerId: a.authorId, teamId: a.teamId, spaceId: a.spaceId, classification: a.classification });
const customerSubject = (c: CustomerM): Subject => ({ id: c.id, ownerId: c.ownerId, teamId: c.teamId });
const ticketSubject = (t: TicketM): Subject => ({ id: t.id, ownerId: t.assigneeId, teamId: t.teamId });

export const needsStepUp = (a: ArticleM) => a.classification === 'CONFIDENTIAL' || a.classification === 'RESTRICTED';

/** Visible: ARTICLE_READ on it; unless PUBLISHED, also ARTICLE_WRITE or ARTICLE_PUBLISH on it (each judged on its own). */
export function articleVisible(v: ViewerM, a: ArticleM, at: Date): boolean {
  const s = articleSubject(a);
  if (!holds(v, 'ARTICLE_READ', s, at)) return false;
  return a.status === 'PUBLISHED' || holds(v, 'ARTICLE_WRITE', s, at) || holds(v, 'ARTICLE_PUBLISH', s, at);
}

/**
 * What a field shows: a value (possibly null, without an error), or null with one of the listed error
 * codes (more than one when the rules leave the order of two refusals open).
 */
export type FieldM = { value: string | null } | { refused: string[] };

export function articleBody(v: ViewerM, a: ArticleM): FieldM {
  return needsStepUp(a) && !v.steppedUp ? { refused: ['MFA_REQUIRED'] } : { value: a.body };
}

export function articleNotes(v: ViewerM, a: ArticleM, at: Date): FieldM {
  const mfa = needsStepUp(a) && !v.steppedUp;
  if (!holds(v, 'ARTICLE_INTERNAL_NOTES_READ', articleSubject(a), at)) return { refused: mfa ? ['FORBIDDEN', 'MFA_REQUIRED'] : ['FORBIDDEN'] };
  return mfa ? { refused: ['MFA_REQUIRED'] } : { value: a.internalNotes };
}

/** The search snippet gets the body's decision. */
export const snippetRefused = (v: ViewerM, a: ArticleM) => needsStepUp(a) && !v.steppedUp;

/** Lower-case words of a text, split as a search engine would split ASCII text. */
const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/**
 * Every query word matches some word of the article as a prefix, in the title or a tag; in the body too
 * unless the article needs step-up and the session has none (the body must not decide a match then).
 */
export function articleMatches(v: ViewerM, a: ArticleM, query: string): boolean {
  const fields = [words(a.title), a.tags.flatMap(words)];
  if (!snippetRefused(v, a)) fields.push(words(a.body));
  const all = fields.flat();
  return words(query).every((q) => all.some((w) => w.startsWith(q)));
}

export const customerVisible = (v: ViewerM, c: CustomerM, at: Date) => holds(v, 'CUSTOMER_READ', customerSubject(c), at);

/** Masks as documented: 138****5678, z***@example.com, 110101********1234, province and city plus ***. */
export const MODEL_MASKS = {
  phone: (s: string) => `${s.slice(0, 3)}${'*'.repeat(s.length - 7)}${s.slice(-4)}`,
  email: (s: string) => `${s[0]}***${s.slice(s.lastIndexOf('@'))}`,
  idNumber: (s: string) => `${s.slice(0, 6)}${'*'.repeat(s.length - 10)}${s.slice(-4)}`,
  /** Only for the addresses the test data uses: "<province><city>" or a municipality ("北京市"). */
  address: (s: string) => `${/^(.+?省.+?市|.+?市)/u.exec(s)![0]}***`,
};
export type PiiField = keyof typeof MODEL_MASKS;

/** A customer's (or, with the customer, a contact's) PII field: full, masked, or refused — by the customer's scope and grants. */
export function pii(v: ViewerM, c: CustomerM, field: PiiField, value: string, at: Date): FieldM {
  const s = customerSubject(c);
  if (holds(v, 'PII_READ_FULL', s, at)) return { value };
  if (holds(v, 'PII_READ_MASKED', s, at)) return { value: MODEL_MASKS[field](value) };
  return { refused: ['FORBIDDEN'] };
}

const digits = (s: string) => s.replace(/[\s\-.()]/g, '');

/**
 * customerByContact: FORBIDDEN unless CUSTOMER_READ and PII_READ_FULL are held somewhere; else the
 * customers with a matching phone/e-mail (own or a contact's) on which the viewer holds both.
 */
export function lookupByContact(v: ViewerM, customers: CustomerM[], by: { phone?: string; email?: string }, at: Date): { refused: 'FORBIDDEN' } | { ids: string[] } {
  if (!heldSomewhere(v, 'CUSTOMER_READ', at) || !heldSomewhere(v, 'PII_READ_FULL', at)) return { refused: 'FORBIDDEN' };
  const match = (phone: string, email: string) => (by.phone !== undefined ? digits(phone) === digits(by.phone) : email.toLowerCase() === by.email!.toLowerCase());
  return {
    ids: customers
      .filter((c) => match(c.phone, c.email) || c.contacts.some((k) => match(k.phone, k.email)))
      .filter((c) => holds(v, 'CUSTOMER_READ', customerSubject(c), at) && holds(v, 'PII_READ_FULL', customerSubject(c), at))
      .map((c) => c.id),
  };
}

export const ticketVisible = (v: ViewerM, t: TicketM, at: Date) => holds(v, 'TICKET_READ', ticketSubject(t), at);
