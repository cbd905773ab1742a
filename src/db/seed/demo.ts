import type { Db } from '../client';
import { withTenantTx } from '../tenant-tx';
import { addArticles, addCategory, addCustomers, addSpace, addTeam, addUser } from './builders';
import { createTenant } from './tenant';

export const DEMO_PASSWORD = 'warden-demo';

export const DEMO_USERS = [
  { email: 'admin@acme.test', displayName: 'Ada Admin', roles: ['admin'] },
  { email: 'lead@acme.test', displayName: '李娜 (Support lead)', roles: ['support_lead'] },
  { email: 'agent@acme.test', displayName: '王强 (Support agent)', roles: ['support_agent'] },
  { email: 'sales@acme.test', displayName: 'Sam Sales', roles: ['sales'] },
  { email: 'analyst@acme.test', displayName: 'Ana Analyst', roles: ['security_analyst'] },
] as const;

/** Spaces and their category trees; articles name their place as 'SPACE/category'. */
type DemoSpace = {
  key: string; name: string; description: string; defaultClassification: string; ownerTeam?: string;
  categories: { name: string; parent?: string; defaultClassification?: string }[];
};

const SPACES: DemoSpace[] = [
  { key: 'HELP', name: '帮助中心 Help center', description: 'Answers customers may read.', defaultClassification: 'PUBLIC', categories: [{ name: '常见问题 FAQ' }] },
  {
    key: 'SUPPORT',
    name: '客服知识库 Support handbook',
    description: '一线与二线客服的操作手册、解决方案和政策。',
    defaultClassification: 'INTERNAL',
    ownerTeam: 'Support East',
    categories: [
      { name: '售后服务 After-sales' },
      { name: '退款 Refunds', parent: '售后服务 After-sales' },
      { name: '工单处理 Tickets' },
      { name: '账户与安全 Accounts' },
      { name: '合规 Compliance', defaultClassification: 'CONFIDENTIAL' },
    ],
  },
];

type DemoArticle = {
  title: string; body: string; classification: string; status: string; kind: string; place: string; tags: string[]; internalNotes?: string;
};

const ARTICLES: DemoArticle[] = [
  { title: '退款流程（FAQ）', body: '客户申请退款时：核对订单号，确认支付方式，七个工作日内原路退回。', classification: 'PUBLIC', status: 'PUBLISHED', kind: 'FAQ', place: 'HELP/常见问题 FAQ', tags: ['退款', 'refund'] },
  { title: 'How to reset a customer password', body: 'Verify the caller with two account facts, then send a reset link. Never read a password aloud.', classification: 'PUBLIC', status: 'PUBLISHED', kind: 'HOW_TO', place: 'HELP/常见问题 FAQ', tags: ['account', '账户'] },
  { title: '操作手册：工单升级', body: '一线客服无法在30分钟内解决的问题，升级至二线并通知组长。', classification: 'INTERNAL', status: 'PUBLISHED', kind: 'HOW_TO', place: 'SUPPORT/工单处理 Tickets', tags: ['升级'], internalNotes: '升级阈值将于下季度调整为20分钟。' },
  { title: 'Refund exceptions for enterprise accounts', body: 'Enterprise refunds above 10,000 CNY need the account manager and a lead to approve.', classification: 'INTERNAL', status: 'PUBLISHED', kind: 'POLICY', place: 'SUPPORT/退款 Refunds', tags: ['refund', '退款', 'enterprise'], internalNotes: 'Finance asked to be copied on every exception.' },
  { title: '退款到账时间说明', body: '退款审核通过后原路退回：银行卡一到七个工作日，支付宝和微信支付通常当天到账。', classification: 'INTERNAL', status: 'PUBLISHED', kind: 'FAQ', place: 'SUPPORT/退款 Refunds', tags: ['退款'], internalNotes: '内部代号 zebraquartz：财务系统切换期间到账可能延迟。' },
  { title: '解决方案：重复扣款的退款争议', body: '客户投诉重复扣款时，先核对支付流水，确认后走加急退款通道，并向客户说明到账时间。', classification: 'CONFIDENTIAL', status: 'PUBLISHED', kind: 'RESOLUTION', place: 'SUPPORT/退款 Refunds', tags: ['退款', '扣款'], internalNotes: '金额超过五万元需法务复核。' },
  { title: '操作手册：退款审批新流程（草稿）', body: '新的退款审批将由组长在系统内一键确认，替代邮件审批。', classification: 'INTERNAL', status: 'DRAFT', kind: 'HOW_TO', place: 'SUPPORT/退款 Refunds', tags: ['退款'] },
  { title: '解决方案：大客户数据迁移故障', body: '迁移中断时先冻结写入，再按批次重放日志。', classification: 'CONFIDENTIAL', status: 'PUBLISHED', kind: 'RESOLUTION', place: 'SUPPORT/账户与安全 Accounts', tags: ['迁移'], internalNotes: '涉及客户：华东某银行，勿外传。' },
  { title: 'Pricing floor for renewals', body: 'The lowest renewal discount any lead may approve is 18%.', classification: 'CONFIDENTIAL', status: 'PUBLISHED', kind: 'POLICY', place: 'SUPPORT/合规 Compliance', tags: ['pricing'] },
  { title: 'Incident 2026-07: credential stuffing response', body: 'Timeline, indicators and the accounts that were locked. Refunds were issued to affected customers.', classification: 'RESTRICTED', status: 'PUBLISHED', kind: 'RESOLUTION', place: 'SUPPORT/账户与安全 Accounts', tags: ['incident', 'refund'], internalNotes: 'Legal hold until 2027.' },
  { title: '解决方案：退款欺诈团伙调查', body: '调查中的退款欺诈团伙名单与处置步骤，仅限安全团队。', classification: 'RESTRICTED', status: 'PUBLISHED', kind: 'RESOLUTION', place: 'SUPPORT/合规 Compliance', tags: ['退款', '欺诈'] },
  { title: '政策：客户隐私数据处理规范', body: '客户手机号、身份证号仅在必要时查看，查看记录全部留痕。', classification: 'INTERNAL', status: 'DRAFT', kind: 'POLICY', place: 'SUPPORT/合规 Compliance', tags: ['隐私'] },
];

const CUSTOMERS = [
  { name: '张伟', company: '上海星辰科技有限公司', phone: '13812345678', email: 'zhang.wei@example.com' },
  { name: '王芳', company: '北京云帆贸易', phone: '13900001111', email: 'wang.fang@example.cn' },
  { name: '李静', company: '深圳前海数据服务', phone: '18611112222', email: 'li.jing@example.com' },
  { name: '刘洋', company: '杭州西湖电子商务', phone: '15022223333', email: 'liu.yang@example.org' },
  { name: 'Emily Chen', company: 'Pacific Freight Ltd', phone: '+85291234567', email: 'emily.chen@example.com' },
];

/** The demo tenant `acme` (README): five users, one per kind of job, articles in every tier, customers. */
export async function seedDemo(db: Db): Promise<{ tenantId: string }> {
  const { tenantId, roleIds } = await createTenant(db, 'acme', 'Acme Support Co.');
  await withTenantTx(db, tenantId, async (tx) => {
    const ids: Record<string, string> = {};
    for (const u of DEMO_USERS) {
      ids[u.email] = await addUser(tx, tenantId, { email: u.email, displayName: u.displayName, password: DEMO_PASSWORD, roleIds: u.roles.map((r) => roleIds[r]) });
    }
    const teams: Record<string, string> = {
      'Support East': await addTeam(tx, tenantId, 'Support East', [ids['lead@acme.test'], ids['agent@acme.test']], ids['lead@acme.test']),
      Sales: await addTeam(tx, tenantId, 'Sales', [ids['sales@acme.test']], ids['sales@acme.test']),
    };
    const places: Record<string, { spaceId: string; categoryId: string }> = {};
    for (const { categories, ownerTeam, ...space } of SPACES) {
      const spaceId = await addSpace(tx, tenantId, { ...space, ownerTeamId: ownerTeam ? teams[ownerTeam] : null });
      for (const c of categories) {
        const parentId = c.parent ? places[`${space.key}/${c.parent}`].categoryId : null;
        const defaultClassification = c.defaultClassification ?? space.defaultClassification;
        places[`${space.key}/${c.name}`] = { spaceId, categoryId: await addCategory(tx, tenantId, { spaceId, parentId, name: c.name, defaultClassification }) };
      }
    }
    await addArticles(
      tx,
      tenantId,
      ARTICLES.map(({ place, ...a }) => ({ ...a, ...places[place], ownerTeamId: teams['Support East'], authorId: ids['lead@acme.test'] })),
    );
    await addCustomers(tx, tenantId, CUSTOMERS.map((c) => ({ ...c, ownerId: ids['sales@acme.test'] })));
  });
  return { tenantId };
}
