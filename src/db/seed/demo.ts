import type { Db } from '../client';
import { withTenantTx } from '../tenant-tx';
import type { MasterKeys } from '../../crypto/master-key';
import { addArticles, addCategory, addContacts, addCustomers, addFeedback, addSpace, addTeam, addTickets, addUser } from './builders';
import { createTenant } from './tenant';

/** Meets the password policy (src/authn/passwords.ts), so changePassword can set it back. */
export const DEMO_PASSWORD = 'warden-demo-passphrase';

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

/** The demo customers; tests check that none of their personal data is readable in the database. */
export const DEMO_CUSTOMERS = [
  { name: '张伟', company: '上海星辰科技有限公司', tier: 'PLATINUM', phone: '13812345678', email: 'zhang.wei@example.com', idNumber: '110101198501021234', address: '北京市东城区王府井大街88号' },
  { name: '王芳', company: '北京云帆贸易', tier: 'GOLD', phone: '13900001111', email: 'wang.fang@example.cn', idNumber: '11010519880214302X', address: '上海市浦东新区陆家嘴环路1000号' },
  { name: '李静', company: '深圳前海数据服务', tier: 'STANDARD', phone: '18611112222', email: 'li.jing@example.com', idNumber: '440305199106304522', address: '广东省深圳市南山区科技园科苑路15号' },
  { name: '刘洋', company: '杭州西湖电子商务', tier: 'GOLD', phone: '15022223333', email: 'liu.yang@example.org', idNumber: '330106198709110060', address: '浙江省杭州市西湖区文三路90号' },
  { name: 'Emily Chen', company: 'Pacific Freight Ltd', tier: 'STANDARD', phone: '+85291234567', email: 'emily.chen@example.com', idNumber: null, address: 'Flat 12B, 8 Harbour Road, Wan Chai, Hong Kong' },
];

export const DEMO_CONTACTS = [
  { customer: '张伟', name: '陈静', title: '财务经理', phone: '13698765432', email: 'chen.jing@example.com' },
  { customer: '刘洋', name: '赵磊', title: 'IT 主管', phone: '13566667777', email: 'zhao.lei@example.org' },
];

/** The demo tenant `acme` (README): five users, one per kind of job, articles in every tier, customers, tickets, feedback. */
export async function seedDemo(db: Db, masters: MasterKeys): Promise<{ tenantId: string }> {
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
    const article = Object.fromEntries(
      (
        await addArticles(
          tx,
          tenantId,
          ARTICLES.map(({ place, ...a }) => ({ ...a, ...places[place], ownerTeamId: teams['Support East'], authorId: ids['lead@acme.test'] })),
        )
      ).map((a) => [a.title, a.id]),
    );
    const east = teams['Support East'];
    const sales = teams.Sales;
    const customer = Object.fromEntries(
      (await addCustomers(tx, tenantId, DEMO_CUSTOMERS.map((c) => ({ ...c, ownerId: ids['sales@acme.test'], teamId: c.tier === 'STANDARD' ? sales : east })), masters)).map((c) => [c.name, c.id]),
    );
    await addContacts(tx, tenantId, DEMO_CONTACTS.map(({ customer: name, ...c }) => ({ ...c, customerId: customer[name] })), masters);
    const agent = ids['agent@acme.test'];
    const lead = ids['lead@acme.test'];
    const t = Object.fromEntries(
      (
        await addTickets(tx, tenantId, [
          { subject: '无法登录企业后台', description: '客户反馈输入正确密码后仍提示账号锁定。', status: 'OPEN', priority: 'HIGH', customerId: customer['张伟'], assigneeId: agent, teamId: east, createdBy: lead },
          { subject: '申请退款：订单 20261102', description: '重复扣款一次。', status: 'RESOLVED', priority: 'NORMAL', customerId: customer['张伟'], assigneeId: agent, teamId: east, createdBy: agent, resolution: '核对订单后已原路退回重复扣款。', resolvedAt: new Date('2026-09-14T08:00:00Z'), articleIds: [article['退款流程（FAQ）']] },
          { subject: 'Data migration stalled at 60%', description: 'Nightly import stopped; writes are piling up.', status: 'RESOLVED', priority: 'URGENT', customerId: customer['王芳'], assigneeId: lead, teamId: east, createdBy: lead, resolution: 'Froze writes, replayed the log in batches.', resolvedAt: new Date('2026-10-03T10:00:00Z'), articleIds: [article['解决方案：大客户数据迁移故障'], article['操作手册：工单升级']] },
          { subject: '密码重置', description: '客户忘记管理员密码。', status: 'CLOSED', priority: 'LOW', customerId: customer['李静'], assigneeId: agent, teamId: east, createdBy: agent, resolution: '核实身份后发送重置链接。', resolvedAt: new Date('2026-10-20T03:00:00Z'), articleIds: [article['How to reset a customer password']] },
          { subject: '发票抬头修改', description: '需要将发票抬头改为新公司名称。', status: 'WAITING_ON_CUSTOMER', priority: 'NORMAL', customerId: customer['刘洋'], assigneeId: agent, createdBy: agent },
          { subject: 'Refund above 10,000 CNY', description: 'Enterprise customer asks for a full refund of the annual plan.', status: 'RESOLVED', priority: 'HIGH', customerId: customer['Emily Chen'], assigneeId: lead, teamId: sales, createdBy: lead, resolution: 'Approved by the account manager and the lead.', resolvedAt: new Date('2026-11-05T06:00:00Z'), articleIds: [article['Refund exceptions for enterprise accounts']] },
        ])
      ).map((x) => [x.subject, x.id]),
    );
    // Satisfaction over three months and two teams, recorded by the admin (nobody rates their own ticket).
    const by = ids['admin@acme.test'];
    await addFeedback(tx, tenantId, [
      { customerId: customer['张伟'], ticketId: t['申请退款：订单 20261102'], score: 5, comment: '退款很快，谢谢。', recordedBy: by, createdAt: new Date('2026-09-15T02:00:00Z') },
      { customerId: customer['王芳'], ticketId: t['Data migration stalled at 60%'], score: 3, comment: 'Slow at first, fixed in the end.', recordedBy: by, createdAt: new Date('2026-10-04T09:00:00Z') },
      { customerId: customer['李静'], ticketId: t['密码重置'], score: 4, comment: null, recordedBy: by, createdAt: new Date('2026-10-21T05:00:00Z') },
      { customerId: customer['Emily Chen'], ticketId: t['Refund above 10,000 CNY'], score: 2, comment: 'Took a week to approve.', recordedBy: by, createdAt: new Date('2026-11-06T07:00:00Z') },
      { customerId: customer['刘洋'], ticketId: null, score: 4, comment: '销售顾问很专业。', recordedBy: by, createdAt: new Date('2026-11-10T04:00:00Z') },
    ]);
  });
  return { tenantId };
}
