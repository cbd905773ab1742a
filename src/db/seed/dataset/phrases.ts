import type { Prng } from './prng';

/** Topics customer service writes about, in Chinese and English, with words that make titles and bodies. */
const TOPICS = [
  { zh: '退款', en: 'refund', tagZh: '退款', tagEn: 'refund', zhFacts: ['退款审核通过后原路退回', '银行卡一到七个工作日到账', '支付宝和微信支付通常当天到账', '部分退款需注明退回金额'], enFacts: ['refunds go back to the original payment method', 'card refunds take one to seven business days', 'partial refunds must state the amount returned', 'a refund above the limit needs a lead to approve'] },
  { zh: '登录', en: 'login', tagZh: '账户', tagEn: 'account', zhFacts: ['连续输错密码五次账号将被锁定', '重置链接三十分钟内有效', '企业账号可启用单点登录', '验证码通过短信发送到绑定手机'], enFacts: ['five wrong passwords lock the account', 'a reset link is valid for thirty minutes', 'enterprise accounts may sign in with SSO', 'never read a password aloud to the caller'] },
  { zh: '发票', en: 'invoice', tagZh: '发票', tagEn: 'invoice', zhFacts: ['增值税专用发票需提供税号', '发票抬头修改须在开票前申请', '电子发票发送至预留邮箱', '红字发票用于冲销已开发票'], enFacts: ['VAT invoices need the tax number', 'the invoice title can change only before issue', 'electronic invoices go to the billing email', 'a credit note reverses an issued invoice'] },
  { zh: '物流', en: 'shipping', tagZh: '物流', tagEn: 'shipping', zhFacts: ['订单发货后四十八小时内更新物流信息', '偏远地区配送可能延迟', '包裹破损请在签收时拒收', '可在订单详情中查询运单号'], enFacts: ['tracking updates within 48 hours of dispatch', 'remote areas may see delays', 'refuse a damaged parcel on delivery', 'the tracking number is on the order page'] },
  { zh: '订阅', en: 'subscription', tagZh: '订阅', tagEn: 'billing', zhFacts: ['年度订阅可按月折算退款', '续费前七天发送提醒邮件', '降级在下个计费周期生效', '取消订阅后数据保留三十天'], enFacts: ['annual plans renew automatically', 'a reminder is sent seven days before renewal', 'downgrades apply from the next billing cycle', 'data is kept thirty days after cancelling'] },
  { zh: '数据迁移', en: 'data migration', tagZh: '迁移', tagEn: 'migration', zhFacts: ['迁移中断时先冻结写入', '按批次重放日志恢复数据', '大客户迁移需提前预约窗口', '迁移完成后核对记录条数'], enFacts: ['freeze writes when a migration stalls', 'replay the log in batches', 'large migrations need a booked window', 'compare row counts after the import'] },
  { zh: '隐私', en: 'privacy', tagZh: '隐私', tagEn: 'privacy', zhFacts: ['客户手机号仅在必要时查看', '身份证号查看全部留痕', '导出个人数据需组长审批', '删除请求须在十五天内处理'], enFacts: ['phone numbers are viewed only when needed', 'every reveal of an ID number is audited', 'exports of personal data need a lead', 'deletion requests are handled within fifteen days'] },
  { zh: '支付', en: 'payment', tagZh: '支付', tagEn: 'payment', zhFacts: ['重复扣款需核对支付流水', '支付失败请检查银行卡限额', '对公转账需备注订单号', '分期付款仅支持部分银行'], enFacts: ['check the payment log for double charges', 'failed payments are often card limits', 'bank transfers must quote the order number', 'instalments are offered by some banks only'] },
] as const;

const ZH_ASPECTS = ['流程', '常见问题', '操作手册', '到账时间说明', '异常处理', '政策说明', '升级规则', '注意事项', '解决方案', '客户沟通话术'];
const EN_ASPECTS = ['process', 'FAQ', 'how-to', 'exceptions', 'troubleshooting', 'policy', 'escalation rules', 'checklist', 'resolution notes', 'customer wording'];
const ZH_OPENERS = ['客户咨询时', '处理工单前', '如遇投诉', '一线客服应', '二线支持需要'];
const ZH_CLOSERS = ['处理完毕后在工单中记录结果。', '无法解决时升级至二线并通知组长。', '请向客户说明预计处理时间。', '如有疑问请联系知识库负责人。'];
const EN_OPENERS = ['When a customer asks,', 'Before you reply,', 'If the customer complains,', 'First-line agents should know that', 'Second-line support confirms that'];
const EN_CLOSERS = ['Record the outcome on the ticket.', 'Escalate to second line if it is not solved in 30 minutes.', 'Tell the customer when to expect an answer.', 'Ask the space owner if in doubt.'];

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平', '刚', '桂英', '建华', '晓东', '思远', '子涵'];
const CITIES = ['北京', '上海', '广州', '深圳', '杭州', '成都', '南京', '武汉', '西安', '苏州'];
const COMPANY_WORDS = ['星辰', '云帆', '前海', '西湖', '华信', '远景', '博达', '恒通', '新锐', '金桥'];
const COMPANY_KINDS = ['科技有限公司', '贸易有限公司', '数据服务', '电子商务', '物流有限公司', '信息技术'];
const STREETS = ['人民路', '中山路', '解放路', '建设路', '科苑路', '文三路', '南京路', '长安街'];
const MOBILE_PREFIXES = ['130', '131', '132', '135', '136', '137', '138', '139', '150', '151', '152', '158', '159', '170', '176', '177', '180', '181', '186', '187', '188', '189', '199'];
const PINYIN = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo', 'he', 'gao', 'lin', 'luo'];

export const TICKET_SUBJECTS_ZH = ['申请退款', '无法登录企业后台', '发票抬头修改', '物流信息长时间未更新', '重复扣款', '取消订阅', '数据迁移中断', '修改绑定手机号'];
export const TICKET_SUBJECTS_EN = ['Refund request', 'Cannot sign in', 'Invoice title change', 'Parcel not tracked', 'Charged twice', 'Cancel subscription', 'Migration stalled', 'Update billing email'];

export type ArticleText = { title: string; body: string; tags: string[] };

/** One article in Chinese (about two in three) or English, made of a topic, an aspect and facts. */
export function articleText(r: Prng, n: number): ArticleText {
  const topic = r.pick(TOPICS);
  if (r.next() < 0.65) {
    const facts = [r.pick(topic.zhFacts), r.pick(topic.zhFacts), r.pick(topic.zhFacts)];
    const body = `${r.pick(ZH_OPENERS)}，${facts.join('；')}。${r.pick(ZH_CLOSERS)}`;
    return { title: `${topic.zh}${r.pick(ZH_ASPECTS)}（第${n}号）`, body, tags: [topic.tagZh, topic.tagEn] };
  }
  const facts = [r.pick(topic.enFacts), r.pick(topic.enFacts), r.pick(topic.enFacts)];
  const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + '.';
  const body = `${r.pick(EN_OPENERS)} ${facts[0]}. ${facts.slice(1).map(sentence).join(' ')} ${r.pick(EN_CLOSERS)}`;
  const title = `${topic.en.charAt(0).toUpperCase()}${topic.en.slice(1)} ${r.pick(EN_ASPECTS)} #${n}`;
  return { title, body, tags: [topic.tagEn, topic.tagZh] };
}

/** A mainland mobile number in a valid format (1[3-9]x, eleven digits). */
export const mobile = (r: Prng) => r.pick(MOBILE_PREFIXES) + r.digits(8);

export function customerPerson(r: Prng, n: number) {
  const s = r.int(0, SURNAMES.length - 1);
  const name = SURNAMES[s] + r.pick(GIVEN);
  const city = r.pick(CITIES);
  return {
    name,
    company: r.next() < 0.7 ? `${city}${r.pick(COMPANY_WORDS)}${r.pick(COMPANY_KINDS)}` : null,
    phone: mobile(r),
    email: `${PINYIN[s]}.${n}@example.com`,
    address: `${city}市${r.pick(STREETS)}${r.int(1, 999)}号`,
  };
}

export const personName = (r: Prng) => r.pick(SURNAMES) + r.pick(GIVEN);
