import type { Db, Tx } from '../../client';
import { withTenantTx } from '../../tenant-tx';
import { hashPassword } from '../../../authn/passwords';
import { idNumberCheckChar } from '../../../lib/id-number';
import type { MasterKeys } from '../../../crypto/master-key';
import { addArticlesBulk, addCategory, addCustomers, addSpace, addTeam, addTicketsBulk, addUsersBulk } from '../builders';
import { createTenant } from '../tenant';
import { articleText, customerPerson, personName, TICKET_SUBJECTS_EN, TICKET_SUBJECTS_ZH } from './phrases';
import { Prng } from './prng';
import { SIZES, type DatasetCounts, type DatasetSize } from './sizes';

/** Every generated user's password (they are test accounts in a benchmark tenant). */
export const DATASET_PASSWORD = 'warden-bench-password';

/** Named users every dataset has, by role; `agent-N@` fill up the rest. `viewer@` and `viewer2@` hold only ARTICLE_READ at PUBLIC. */
export const DATASET_USERS = [
  { local: 'admin', displayName: 'Ada Admin', role: 'admin' },
  { local: 'lead', displayName: '李娜 (Support lead)', role: 'support_lead' },
  { local: 'agent', displayName: '王强 (Support agent)', role: 'support_agent' },
  { local: 'sales', displayName: 'Sam Sales', role: 'sales' },
  { local: 'analyst', displayName: 'Ana Analyst', role: 'security_analyst' },
  { local: 'viewer', displayName: 'Vic Viewer', role: 'new_hire' },
  { local: 'viewer2', displayName: 'Val Viewer', role: 'new_hire' },
] as const;

export type GenerateOptions = { size: DatasetSize; seed?: number; slug?: string; log?: (line: string) => void };
export type GenerateResult = { tenantId: string; slug: string; counts: DatasetCounts & { categories: number }; elapsedMs: number };

/** Rows per multi-row INSERT and per transaction: under PostgreSQL's 65,535 bind parameters. */
const BATCH = { articles: 1_000, customers: 2_000, tickets: 3_000 };
const ROWS_PER_TX = 20_000;

const CLASSIFICATIONS = [['PUBLIC', 30], ['INTERNAL', 45], ['CONFIDENTIAL', 20], ['RESTRICTED', 5]] as const;
const ARTICLE_STATUSES = [['PUBLISHED', 75], ['DRAFT', 15], ['IN_REVIEW', 5], ['ARCHIVED', 5]] as const;
const KINDS = ['FAQ', 'HOW_TO', 'POLICY', 'RESOLUTION'] as const;
const TIERS = [['STANDARD', 70], ['GOLD', 22], ['PLATINUM', 8]] as const;
const TICKET_STATUSES = [['OPEN', 20], ['IN_PROGRESS', 15], ['WAITING_ON_CUSTOMER', 10], ['RESOLVED', 40], ['CLOSED', 15]] as const;
const PRIORITIES = [['LOW', 20], ['NORMAL', 55], ['HIGH', 20], ['URGENT', 5]] as const;

/** Dates spread over the year before this fixed instant, so two runs give the same rows. */
const EPOCH = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

/** An 18-digit resident ID number in the valid format (region, birth date, sequence, check character). */
function idNumber(r: Prng): string {
  const region = r.pick(['110101', '310115', '440305', '330106', '510104', '320102']);
  const birth = `${r.int(1960, 2002)}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}`;
  const first17 = region + birth + r.digits(3);
  return first17 + idNumberCheckChar(first17);
}

/** Rows made one by one (so the PRNG runs in order), written `perStatement` at a time, a transaction per ROWS_PER_TX. */
async function writeInBatches<T>(db: Db, tenantId: string, total: number, perStatement: number, make: (i: number) => T, write: (tx: Tx, rows: T[]) => Promise<unknown>) {
  for (let start = 0; start < total; start += ROWS_PER_TX) {
    const end = Math.min(total, start + ROWS_PER_TX);
    await withTenantTx(db, tenantId, async (tx) => {
      for (let s = start; s < end; s += perStatement) {
        const rows: T[] = [];
        for (let i = s; i < Math.min(end, s + perStatement); i++) rows.push(make(i));
        await write(tx, rows);
      }
    });
  }
}

/**
 * A tenant full of generated, realistic data: users in every built-in role, teams, spaces with category
 * trees, Chinese and English articles (searchable, tagged, versioned as the API writes them), customers
 * with sealed personal data, and tickets. The same seed gives the same names, titles and texts.
 */
export async function generateDataset(db: Db, masters: MasterKeys, opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  if (!Object.hasOwn(SIZES, opts.size)) throw new Error(`Unknown dataset size "${String(opts.size)}": use XS, S, M or L`);
  const counts = SIZES[opts.size];
  const slug = opts.slug ?? 'bench';
  const log = opts.log ?? (() => {});
  const r = new Prng(opts.seed ?? 1);
  const { tenantId, roleIds } = await createTenant(db, slug, `Benchmark tenant (${opts.size})`);
  const passwordHash = await hashPassword(DATASET_PASSWORD);

  const people = await withTenantTx(db, tenantId, async (tx) => {
    const named = DATASET_USERS.map((u) => ({ email: `${u.local}@${slug}.test`, displayName: u.displayName, roleIds: [roleIds[u.role]] }));
    const more = Array.from({ length: Math.max(0, counts.users - named.length) }, (_, i) => ({
      email: `agent-${i + 1}@${slug}.test`,
      displayName: personName(r),
      roleIds: [roleIds[i % 10 === 0 ? 'support_lead' : i % 10 === 1 ? 'knowledge_editor' : 'support_agent']],
    }));
    const users = await addUsersBulk(tx, tenantId, [...named, ...more], passwordHash);
    const id = (local: string) => users.find((u) => u.email === `${local}@${slug}.test`)!.id;
    const staff = users.filter((u) => !u.email.startsWith('viewer') && !u.email.startsWith('analyst@')).map((u) => u.id);
    const teams: string[] = [];
    for (let t = 0; t < counts.teams; t++) {
      const members = staff.filter((_, i) => i % counts.teams === t);
      // Team 0 holds the named lead and agent, so they share scopes in the benchmark.
      if (t === 0) members.push(...[id('lead'), id('agent')].filter((m) => !members.includes(m)));
      teams.push(await addTeam(tx, tenantId, t === 0 ? 'Support East' : `Team ${t + 1}`, members, t === 0 ? id('lead') : members[0]));
    }
    const places: { spaceId: string; categoryId: string; teamId: string }[] = [];
    for (let s = 0; s < counts.spaces; s++) {
      const teamId = teams[s % teams.length];
      const spaceId = await addSpace(tx, tenantId, {
        key: `SP${s + 1}`,
        name: s === 0 ? '帮助中心 Help center' : `知识库 ${s + 1} Handbook ${s + 1}`,
        description: '生成的基准测试空间 Generated benchmark space.',
        defaultClassification: s === 0 ? 'PUBLIC' : 'INTERNAL',
        ownerTeamId: teamId,
      });
      let parentId: string | null = null;
      for (let c = 0; c < counts.categoriesPerSpace; c++) {
        // Every third category nests under the one before it: trees two levels deep.
        const parent: string | null = c % 3 === 2 ? parentId : null;
        const categoryId = await addCategory(tx, tenantId, { spaceId, parentId: parent, name: `分类 ${s + 1}.${c + 1} Category`, defaultClassification: s === 0 ? 'PUBLIC' : 'INTERNAL' });
        parentId = categoryId;
        places.push({ spaceId, categoryId, teamId });
      }
    }
    return { users: users.map((u) => u.id), staff, teams, places, agents: staff };
  });
  log(`users ${counts.users}, teams ${counts.teams}, spaces ${counts.spaces}, categories ${people.places.length}`);

  await writeInBatches(db, tenantId, counts.articles, BATCH.articles, (n) => {
    const text = articleText(r, n + 1);
    const place = r.pick(people.places);
    const status = r.weighted(ARTICLE_STATUSES);
    const createdAt = new Date(EPOCH - r.int(0, 365) * DAY - r.int(0, DAY - 1));
    return {
      ...text,
      classification: r.weighted(CLASSIFICATIONS),
      status,
      kind: r.pick(KINDS),
      internalNotes: r.next() < 0.3 ? '内部备注：仅供客服参考。Internal note for agents.' : null,
      authorId: r.pick(people.staff),
      spaceId: place.spaceId,
      categoryId: place.categoryId,
      ownerTeamId: place.teamId,
      publishedAt: status === 'PUBLISHED' ? createdAt : null,
      createdAt,
      updatedAt: createdAt,
    };
  }, (tx, rows) => addArticlesBulk(tx, tenantId, rows));
  log(`articles ${counts.articles} (${Math.round(performance.now() - started)} ms so far)`);

  const customerIds: string[] = [];
  await writeInBatches(db, tenantId, counts.customers, BATCH.customers, (n) => ({
    ...customerPerson(r, n + 1),
    tier: r.weighted(TIERS),
    idNumber: r.next() < 0.5 ? idNumber(r) : null,
    ownerId: r.pick(people.staff),
    teamId: r.pick(people.teams),
  }), async (tx, rows) => {
    for (const c of await addCustomers(tx, tenantId, rows, masters)) customerIds.push(c.id);
  });
  log(`customers ${counts.customers} (${Math.round(performance.now() - started)} ms so far)`);

  await writeInBatches(db, tenantId, counts.tickets, BATCH.tickets, () => {
    const status = r.weighted(TICKET_STATUSES);
    const chinese = r.next() < 0.65;
    const subject = chinese ? r.pick(TICKET_SUBJECTS_ZH) : r.pick(TICKET_SUBJECTS_EN);
    const createdAt = new Date(EPOCH - r.int(0, 365) * DAY - r.int(0, DAY - 1));
    const done = status === 'RESOLVED' || status === 'CLOSED';
    return {
      subject,
      description: chinese ? `客户反馈：${subject}，请尽快处理。` : `Customer reports: ${subject.toLowerCase()}.`,
      status,
      priority: r.weighted(PRIORITIES),
      customerId: r.pick(customerIds),
      assigneeId: r.pick(people.agents),
      teamId: r.pick(people.teams),
      createdBy: r.pick(people.agents),
      resolution: done ? (chinese ? '已按知识库流程处理完毕。' : 'Handled following the knowledge base.') : null,
      resolvedAt: done ? new Date(createdAt.getTime() + r.int(1, 72) * 3_600_000) : null,
      createdAt,
      updatedAt: createdAt,
    };
  }, (tx, rows) => addTicketsBulk(tx, tenantId, rows));
  const elapsedMs = Math.round(performance.now() - started);
  log(`tickets ${counts.tickets} (${elapsedMs} ms)`);
  return { tenantId, slug, counts: { ...counts, categories: people.places.length }, elapsedMs };
}
