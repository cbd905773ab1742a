import type { Db } from '../client';
import { withTenantTx } from '../tenant-tx';
import { addArticles, addCustomers, addTeam, addUser } from './builders';
import { createTenant } from './tenant';

export const DEMO_PASSWORD = 'warden-demo';

export const DEMO_USERS = [
  { email: 'admin@acme.test', displayName: 'Ada Admin', roles: ['admin'] },
  { email: 'lead@acme.test', displayName: '李娜 (Support lead)', roles: ['support_lead'] },
  { email: 'agent@acme.test', displayName: '王强 (Support agent)', roles: ['support_agent'] },
  { email: 'sales@acme.test', displayName: 'Sam Sales', roles: ['sales'] },
  { email: 'analyst@acme.test', displayName: 'Ana Analyst', roles: ['security_analyst'] },
] as const;

const ARTICLES = [
  { title: '退款流程（FAQ）', body: '客户申请退款时：核对订单号，确认支付方式，七个工作日内原路退回。', classification: 'PUBLIC', status: 'PUBLISHED' },
  { title: 'How to reset a customer password', body: 'Verify the caller with two account facts, then send a reset link. Never read a password aloud.', classification: 'PUBLIC', status: 'PUBLISHED' },
  { title: '操作手册：工单升级', body: '一线客服无法在30分钟内解决的问题，升级至二线并通知组长。', classification: 'INTERNAL', status: 'PUBLISHED', internalNotes: '升级阈值将于下季度调整为20分钟。' },
  { title: 'Refund exceptions for enterprise accounts', body: 'Enterprise refunds above 10,000 CNY need the account manager and a lead to approve.', classification: 'INTERNAL', status: 'PUBLISHED', internalNotes: 'Finance asked to be copied on every exception.' },
  { title: '解决方案：大客户数据迁移故障', body: '迁移中断时先冻结写入，再按批次重放日志。', classification: 'CONFIDENTIAL', status: 'PUBLISHED', internalNotes: '涉及客户：华东某银行，勿外传。' },
  { title: 'Pricing floor for renewals', body: 'The lowest renewal discount any lead may approve is 18%.', classification: 'CONFIDENTIAL', status: 'PUBLISHED' },
  { title: 'Incident 2026-07: credential stuffing response', body: 'Timeline, indicators and the accounts that were locked.', classification: 'RESTRICTED', status: 'PUBLISHED', internalNotes: 'Legal hold until 2027.' },
  { title: '政策：客户隐私数据处理规范', body: '客户手机号、身份证号仅在必要时查看，查看记录全部留痕。', classification: 'INTERNAL', status: 'DRAFT' },
] as const;

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
    await addTeam(tx, tenantId, 'Support East', [ids['lead@acme.test'], ids['agent@acme.test']], ids['lead@acme.test']);
    await addTeam(tx, tenantId, 'Sales', [ids['sales@acme.test']], ids['sales@acme.test']);
    await addArticles(tx, tenantId, ARTICLES.map((a) => ({ ...a, authorId: ids['lead@acme.test'] })));
    await addCustomers(tx, tenantId, CUSTOMERS.map((c) => ({ ...c, ownerId: ids['sales@acme.test'] })));
  });
  return { tenantId };
}
