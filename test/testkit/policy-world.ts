import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { hashPassword } from '../../src/authn/passwords';
import { addArticles, addCategory, addContacts, addCustomers, addSpace, addTeam, addTickets, addUsersBulk } from '../../src/db/seed/builders';
import { createTenant } from '../../src/db/seed/tenant';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from './client';
import { KINDS, LEVELS, STATUSES, type ArticleM, type AssignmentM, type CustomerM, type GrantM, type Perm, type TicketM, type ViewerM } from './policy-model';
import { type Rng } from './prng';
import { testMasterKeys, type TestServer } from './server';
import { enrolSecondFactor } from './totp';

/**
 * The data of the differential test: one tenant of its own (so the model knows every row), built once
 * from a seed with the seed builders; viewers are configured through the GraphQL API (roles, scoped
 * assignments, grants, sign-in, step-up), only expired grants and the admin's own grants on RESTRICTED articles
 * are written directly (the API refuses them).
 */

export const TENANT = 'diffpol';
const PASSWORD = 'differential-password';
/** Search words: each article carries some of them in its title, body or tags; `zoo` is in every body. */
export const TERMS = ['quokka', 'narwhal', 'axolotl', 'pangolin'] as const;
export const BODY_WORD = 'zoo';
/** Only ever in internal notes, which are never searchable. */
export const NOTES_WORD = 'walrus';
export const PHONES = ['13800000001', '13800000002', '13900000003', '13900000004', '13700000005', '13700000006', '13600000007', '13600000008', '15000000009', '15100000010'];
export const EMAILS = ['ann@example.com', 'bo@example.org', 'cy@example.net', 'di@example.com', 'ed@example.org', 'fu@example.net'];
const ID_NUMBERS = ['110101198501021234', '110101199003071234', '440305198807155678'];
const ADDRESSES = ['北京市东城区王府井大街88号', '广东省深圳市南山区科技园科苑路15号', '浙江省杭州市西湖区文三路100号'];

/**
 * A user the viewers sign in as, with two sessions: one that never passed a second factor, one that did
 * (renewed before the step-up age runs out). Access changes apply from the next request, so the
 * sessions outlive the viewers.
 */
export type Persona = {
  id: string;
  email: string;
  plain: GraphQLClient;
  stepped?: { client: GraphQLClient; at: number };
  recoveryCodes: string[];
  assignmentIds: string[];
  grantIds: string[];
};

/** When each client's access token was issued: tokens live 15 minutes, a long fuzz run outlives them. */
const issued = new WeakMap<GraphQLClient, number>();
const TOKEN_RENEW_MS = 600_000;

async function signIn(world: { server: TestServer }, email: string): Promise<GraphQLClient> {
  const client = await world.server.client().login(email, PASSWORD, TENANT);
  issued.set(client, Date.now());
  return client;
}

/** Refresh the client's tokens in place when they are old (same session, so its step-up state stays). */
async function keepAlive(client: GraphQLClient): Promise<void> {
  if (Date.now() - (issued.get(client) ?? 0) < TOKEN_RENEW_MS) return;
  const { refreshSession } = await client.ok<{ refreshSession: { accessToken: string; refreshToken: string } }>(
    'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }',
    { t: client.refreshToken },
  );
  client.token = refreshSession.accessToken;
  client.refreshToken = refreshSession.refreshToken;
  issued.set(client, Date.now());
}

/** Well inside the default step-up age (900 s). */
const STEP_UP_RENEW_MS = 600_000;

async function steppedUpSession(world: World, persona: Persona): Promise<GraphQLClient> {
  if (persona.stepped && Date.now() - persona.stepped.at < STEP_UP_RENEW_MS) return persona.stepped.client;
  const client = await signIn(world, persona.email);
  await client.ok('mutation($c: String!) { verifyMfa(code: $c) { verifiedAt } }', { c: persona.recoveryCodes.pop() });
  // Recovery codes are single use: renew them (which needs the fresh factor just given) before they run out.
  if (persona.recoveryCodes.length < 2) persona.recoveryCodes = (await client.ok<{ regenerateRecoveryCodes: string[] }>('mutation { regenerateRecoveryCodes }')).regenerateRecoveryCodes;
  persona.stepped = { client, at: Date.now() };
  return client;
}

export type World = {
  server: TestServer;
  tenantId: string;
  admin: GraphQLClient;
  adminId: string;
  teams: string[];
  spaces: string[];
  categories: { id: string; spaceId: string }[];
  personas: Persona[];
  articles: ArticleM[];
  customers: CustomerM[];
  tickets: TicketM[];
  /** Global ids of another tenant's records (the demo tenant's). */
  foreign: string[];
  /** Readable names of raw ids, for failure reports. */
  label: Map<string, string>;
  roleIds: Map<string, string>;
};

export async function buildWorld(server: TestServer, rng: Rng): Promise<World> {
  const db = server.database.db;
  const { tenantId, roleIds: builtIn } = await createTenant(db, TENANT, 'Differential');
  const label = new Map<string, string>();
  const data = await withTenantTx(db, tenantId, async (tx) => {
    // One password hash for all (hashing is deliberately slow).
    const users = await addUsersBulk(
      tx,
      tenantId,
      [{ email: `admin@${TENANT}.test`, displayName: 'admin', roleIds: [builtIn.admin] }, ...Array.from({ length: 6 }, (_, i) => ({ email: `p${i}@${TENANT}.test`, displayName: `p${i}`, roleIds: [] }))],
      await hashPassword(PASSWORD),
    );
    const adminId = users[0].id;
    const personaIds = users.slice(1).map((u) => u.id);
    label.set(adminId, 'admin');
    personaIds.forEach((id, i) => label.set(id, `p${i}`));
    // Team membership is deliberately random: a TEAM scope names its team, membership must not matter.
    const teams: string[] = [];
    for (let t = 0; t < 3; t++) {
      const id = await addTeam(tx, tenantId, `Team ${t}`, personaIds.filter(() => rng.chance(0.3)));
      teams.push(id);
      label.set(id, `T${t}`);
    }
    const spaces: string[] = [];
    const categories: { id: string; spaceId: string }[] = [];
    for (const [s, key] of ['ALPHA', 'BETA'].entries()) {
      const spaceId = await addSpace(tx, tenantId, { key, name: key, defaultClassification: 'INTERNAL', ownerTeamId: teams[s] });
      spaces.push(spaceId);
      label.set(spaceId, key);
      const root = await addCategory(tx, tenantId, { spaceId, name: `${key} root` });
      const child = await addCategory(tx, tenantId, { spaceId, parentId: root, name: `${key} child` });
      categories.push({ id: root, spaceId }, { id: child, spaceId });
      label.set(root, `${key}/root`).set(child, `${key}/child`);
    }
    const owners = [...personaIds, adminId, null];
    const seeds: Omit<ArticleM, 'id'>[] = [];
    let n = 0;
    for (const status of STATUSES)
      for (const classification of LEVELS)
        for (let k = 0; k < 3; k++, n++) {
          const spaceId = rng.chance(0.1) ? null : rng.pick(spaces);
          const cats = categories.filter((c) => c.spaceId === spaceId);
          const placed = TERMS.map((t) => ({ t, at: rng.pick(['none', 'none', 'title', 'body', 'tag']) }));
          const at = (where: string) => placed.filter((x) => x.at === where).map((x) => x.t);
          seeds.push({
            title: ['Article', n, ...at('title')].join(' '),
            body: ['Body text', n, BODY_WORD, ...at('body')].join(' '),
            tags: [...at('tag'), ...(rng.chance(0.3) ? ['misc'] : [])],
            internalNotes: rng.chance(0.7) ? `notes ${n} ${NOTES_WORD}` : null,
            status,
            classification,
            kind: rng.pick(KINDS),
            spaceId,
            categoryId: cats.length && rng.chance(0.8) ? rng.pick(cats).id : null,
            teamId: rng.pick([...teams, null]),
            authorId: rng.pick(owners),
          });
        }
    const inserted = await addArticles(
      tx,
      tenantId,
      seeds.map((a) => ({ title: a.title, body: a.body, tags: a.tags, internalNotes: a.internalNotes, status: a.status, classification: a.classification, kind: a.kind, spaceId: a.spaceId, categoryId: a.categoryId, ownerTeamId: a.teamId, authorId: a.authorId })),
    );
    const articles = inserted.map((row, i) => ({ ...seeds[i], id: row.id }));
    for (const a of articles) label.set(a.id, `"${a.title}" (${a.status} ${a.classification})`);
    // The admin, who sets the viewers up, grants only what they could use themselves, and no role clears
    // RESTRICTED: their own standing grants on those articles (as break-glass would give) let them hand them out.
    for (const a of articles.filter((x) => x.classification === 'RESTRICTED'))
      for (const permission of ['ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_PUBLISH', 'ARTICLE_INTERNAL_NOTES_READ'])
        await tx.execute(sql`insert into access_grants (tenant_id, user_id, resource_type, resource_id, permission, reason, granted_by, expires_at)
          values (${tenantId}, ${adminId}, 'Article', ${a.id}, ${permission}, 'differential test set-up', ${adminId}, now() + interval '30 days')`);

    const customerSeeds = Array.from({ length: 20 }, (_, i) => ({
      name: `c${i}`,
      phone: rng.pick(PHONES),
      email: rng.chance(0.5) ? rng.pick(EMAILS) : `c${i}@example.com`,
      idNumber: rng.pick(ID_NUMBERS),
      address: rng.pick(ADDRESSES),
      teamId: rng.pick([...teams, null]),
      ownerId: rng.pick([...personaIds, null]),
    }));
    const rows = await addCustomers(tx, tenantId, customerSeeds, testMasterKeys());
    const customers: CustomerM[] = rows.map((r, i) => ({ ...customerSeeds[i], id: r.id, contacts: [] }));
    for (const [i, c] of customers.entries()) {
      label.set(c.id, `c${i}`);
      const seedsC = Array.from({ length: rng.int(0, 2) }, () => ({ customerId: c.id, name: `contact of ${label.get(c.id)}`, phone: rng.pick(PHONES), email: rng.pick(EMAILS) }));
      const ids = await addContacts(tx, tenantId, seedsC, testMasterKeys());
      c.contacts = ids.map((k, j) => ({ id: k.id, customerId: c.id, phone: seedsC[j].phone, email: seedsC[j].email }));
      for (const k of c.contacts) label.set(k.id, `contact of ${label.get(c.id)}`);
    }
    const tickets: TicketM[] = [];
    for (const c of customers)
      for (let t = rng.int(0, 3); t > 0; t--) {
        const seed = { customerId: c.id, teamId: rng.pick([...teams, null]), assigneeId: rng.pick([...personaIds, adminId, null]) };
        const [row] = await addTickets(tx, tenantId, [{ ...seed, subject: `ticket of ${label.get(c.id)}`, createdBy: adminId }]);
        tickets.push({ ...seed, id: row.id });
        label.set(row.id, `ticket ${tickets.length - 1} of ${label.get(c.id)}`);
      }
    return { adminId, personaIds, teams, spaces, categories, articles, customers, tickets };
  });

  const foreign = await withTenantTx(db, server.tenantId, (tx) =>
    queryRows<{ kind: string; id: string }>(
      tx,
      sql`(select 'Article' as kind, id::text from articles limit 3) union all (select 'Customer', id::text from customers limit 2)
        union all (select 'Ticket', id::text from tickets limit 2) union all (select 'CustomerContact', id::text from customer_contacts limit 1)`,
    ),
  );
  const admin = await signIn({ server }, `admin@${TENANT}.test`);
  // Granting on a CONFIDENTIAL or RESTRICTED article needs the granter's own step-up.
  await enrolSecondFactor(admin);
  // Thousands of reads by a handful of users are the point here, not an incident: no session revocations.
  for (const kind of ['BULK_PII_READ', 'REPEATED_DENIALS', 'MASS_EXPORT'])
    await admin.ok('mutation($i: DetectionRuleInput!) { configureDetectionRule(input: $i) { kind } }', { i: { kind, enabled: false } });
  const personas: Persona[] = await Promise.all(
    data.personaIds.map(async (id, i) => {
      const email = `p${i}@${TENANT}.test`;
      const [c, plain] = await Promise.all([signIn({ server }, email), signIn({ server }, email)]);
      // Confirming the authenticator is a second factor: that session is the stepped-up one.
      const { recoveryCodes } = await enrolSecondFactor(c);
      return { id, email, plain, stepped: { client: c, at: Date.now() }, recoveryCodes, assignmentIds: [], grantIds: [] };
    }),
  );
  return { server, tenantId, admin, ...data, personas, foreign: foreign.map((f) => toGlobalId(f.kind, f.id)), label, roleIds: new Map() };
}

/** A viewer as the differential test draws it: the persona it signs in as, what it holds, and whether it steps up. */
export type ViewerSpec = {
  persona: number;
  assignments: AssignmentM[];
  /** Live grants are made through the API; expired ones (expiresAt in the past) are written directly. */
  grants: (GrantM & { revoked?: boolean })[];
  steppedUp: boolean;
};

const GRANT_TYPE: Record<Perm, string> = {
  ARTICLE_READ: 'Article',
  ARTICLE_WRITE: 'Article',
  ARTICLE_PUBLISH: 'Article',
  ARTICLE_INTERNAL_NOTES_READ: 'Article',
  CUSTOMER_READ: 'Customer',
  PII_READ_MASKED: 'Customer',
  PII_READ_FULL: 'Customer',
  TICKET_READ: 'Ticket',
};
export const grantTypeOf = (p: Perm) => GRANT_TYPE[p];

const roleKey = (a: AssignmentM) => `${[...a.permissions].sort().join(',')}|${a.clearance}`;

/** Mutation fields run one by one, each in its own savepoint: one request per step keeps a viewer's set-up short. */
type Field = { field: string; args: Record<string, [type: string, value: unknown]>; select: string };
const field = (name: string, args: Field['args'], select = 'id'): Field => ({ field: name, args, select });
async function mutate(client: GraphQLClient, fields: Field[]): Promise<Record<string, Record<string, string>>> {
  if (fields.length === 0) return {};
  const decls: string[] = [];
  const vars: Record<string, unknown> = {};
  const body = fields.map((f, i) => {
    const args = Object.entries(f.args).map(([name, [type, value]]) => {
      decls.push(`$${name}${i}: ${type}`);
      vars[`${name}${i}`] = value;
      return `${name}: $${name}${i}`;
    });
    return `f${i}: ${f.field}(${args.join(', ')}) { ${f.select} }`;
  });
  return client.ok(`mutation(${decls.join(', ')}) { ${body.join(' ')} }`, vars);
}

const scopeInput = (a: AssignmentM) => {
  switch (a.scope.type) {
    case 'TEAM':
      return { type: 'TEAM', id: toGlobalId('Team', a.scope.teamId) };
    case 'SPACE':
      return { type: 'SPACE', id: toGlobalId('Space', a.scope.spaceId) };
    default:
      return { type: a.scope.type };
  }
};

/**
 * Give the persona exactly what the spec says (taking back the previous viewer's roles and live grants),
 * sign in, and step up if asked. Returns the signed-in client and the model's view of the viewer.
 */
export async function setUpViewer(world: World, spec: ViewerSpec): Promise<{ client: GraphQLClient; viewer: ViewerM }> {
  const persona = world.personas[spec.persona];
  await keepAlive(world.admin);
  await keepAlive(persona.plain);
  if (persona.stepped) await keepAlive(persona.stepped.client);
  const userId = toGlobalId('User', persona.id);
  const newRoles = [...new Map(spec.assignments.filter((a) => !world.roleIds.has(roleKey(a))).map((a) => [roleKey(a), a])).values()];
  const first = await mutate(world.admin, [
    ...persona.assignmentIds.splice(0).map((id) => field('unassignRole', { id: ['ID!', id] })),
    ...persona.grantIds.splice(0).map((id) => field('revokeGrant', { id: ['ID!', id], reason: ['String!', 'next viewer'] })),
    ...newRoles.map((a, i) => {
      const n = world.roleIds.size + i;
      return field('createRole', { input: ['CreateRoleInput!', { key: `m_${n}`, name: `Model role ${n}`, permissions: a.permissions, clearance: a.clearance }] }, 'id key');
    }),
  ]);
  const created = Object.values(first).filter((r) => r.key);
  newRoles.forEach((a, i) => world.roleIds.set(roleKey(a), created[i].id));
  const live = spec.grants.filter((g) => g.expiresAt.getTime() > Date.now());
  const second = Object.values(
    await mutate(world.admin, [
      ...spec.assignments.map((a) => field('assignRole', { input: ['AssignRoleInput!', { userId, roleId: world.roleIds.get(roleKey(a)), scope: scopeInput(a) }] })),
      ...live.map((g) =>
        field('grantAccess', {
          input: ['GrantAccessInput!', { userId, resourceId: toGlobalId(GRANT_TYPE[g.permission], g.resourceId), permission: g.permission, expiresAt: g.expiresAt.toISOString(), reason: 'differential test' }],
        }),
      ),
    ]),
  );
  persona.assignmentIds.push(...second.slice(0, spec.assignments.length).map((r) => r.id));
  const grantIds = second.slice(spec.assignments.length).map((r) => r.id);
  persona.grantIds.push(...grantIds.filter((_, i) => !live[i].revoked));
  await mutate(
    world.admin,
    grantIds.filter((_, i) => live[i].revoked).map((id) => field('revokeGrant', { id: ['ID!', id], reason: ['String!', 'revoked at once'] })),
  );
  for (const g of spec.grants.filter((x) => !live.includes(x)))
    await withTenantTx(world.server.database.db, world.tenantId, (tx) =>
      tx.execute(sql`insert into access_grants (tenant_id, user_id, resource_type, resource_id, permission, reason, granted_by, created_at, expires_at)
        values (${world.tenantId}, ${persona.id}, ${GRANT_TYPE[g.permission]}, ${g.resourceId}, ${g.permission}, 'expired for the differential test', ${world.adminId},
          ${new Date(g.expiresAt.getTime() - 3_600_000).toISOString()}::timestamptz, ${g.expiresAt.toISOString()}::timestamptz)`),
    );
  const client = spec.steppedUp ? await steppedUpSession(world, persona) : persona.plain;
  return {
    client,
    viewer: { userId: persona.id, assignments: spec.assignments, grants: spec.grants.filter((g) => !g.revoked), steppedUp: spec.steppedUp },
  };
}

/** The viewer in words, for a failure report. */
export function describeViewer(world: World, spec: ViewerSpec): string {
  const name = (id: string) => world.label.get(id) ?? id;
  const scope = (a: AssignmentM) => (a.scope.type === 'TEAM' ? `TEAM ${name(a.scope.teamId)}` : a.scope.type === 'SPACE' ? `SPACE ${name(a.scope.spaceId)}` : a.scope.type);
  const now = Date.now();
  return [
    `persona ${world.label.get(world.personas[spec.persona].id)} (user ${world.personas[spec.persona].id}), step-up: ${spec.steppedUp ? 'fresh' : 'none'}`,
    ...spec.assignments.map((a) => `  role [${a.permissions.join(', ')}] clearance ${a.clearance} in ${scope(a)}`),
    ...spec.grants.map((g) => `  grant ${g.permission} on ${name(g.resourceId)} ${g.revoked ? '(revoked)' : g.expiresAt.getTime() <= now ? '(expired)' : '(live)'}`),
  ].join('\n');
}
