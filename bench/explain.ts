import postgres from 'postgres';
import type { CapturedStatement } from './arms';

/** One scan of a table in a plan, with how the tenant condition was applied to it. */
export type ScanSummary = {
  relation: string;
  node: string;
  index: string | null;
  /** Rows the scan produced, over all its loops. */
  rows: number;
  loops: number;
  /** Where the row-level-security tenant condition (`tenant_id = $n`, the policy's InitPlan) sits: index condition, filter, or absent. */
  tenantCondition: 'index' | 'filter' | 'absent';
};

export type StatementPlan = {
  statement: string;
  totalMs: number;
  /** InitPlans computing the tenant, and the most times any of them ran (1 = once per statement). */
  tenantInitPlans: number;
  tenantInitPlanMaxLoops: number;
  scans: ScanSummary[];
  /** The whole EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) output. */
  plan: unknown;
};

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

const text = (n: PlanNode, key: string) => (typeof n[key] === 'string' ? (n[key] as string) : '');
// The policy compares tenant_id with the value of its InitPlan, shown as a numbered parameter; the
// application's own predicates carry bound values, which EXPLAIN prints as literals.
const TENANT_PARAM = /tenant_id = \$\d+/;
// In an index condition, also the application's own tenant predicate (a literal) or equality with the
// tenant of a row already checked (a join or correlated subquery): the planner then evaluates the
// policy's comparison once, as a one-time filter above the scan.
const TENANT_IN_INDEX = /tenant_id = (\$\d+|\w+\.tenant_id|'[0-9a-f-]{36}'::uuid)/;

function walk(node: PlanNode, out: { scans: ScanSummary[]; initPlans: PlanNode[] }) {
  if (node['Parent Relationship'] === 'InitPlan' && /warden_current_tenant|app\.tenant_id/.test(JSON.stringify(node))) out.initPlans.push(node);
  const relation = text(node, 'Relation Name');
  if (relation) {
    const conds = ['Index Cond', 'Recheck Cond'].map((k) => text(node, k)).join(' ');
    const kids = (node.Plans ?? []).filter((k) => k['Parent Relationship'] !== 'InitPlan' && k['Parent Relationship'] !== 'SubPlan');
    const bitmapIndexConds = kids.map((k) => text(k, 'Index Cond')).join(' ');
    out.scans.push({
      relation,
      node: text(node, 'Node Type'),
      index: text(node, 'Index Name') || null,
      rows: Number(node['Actual Rows'] ?? 0) * Number(node['Actual Loops'] ?? 1),
      loops: Number(node['Actual Loops'] ?? 1),
      tenantCondition: TENANT_IN_INDEX.test(conds) || TENANT_IN_INDEX.test(bitmapIndexConds) ? 'index' : TENANT_PARAM.test(text(node, 'Filter')) ? 'filter' : 'absent',
    });
  }
  for (const child of node.Plans ?? []) walk(child, out);
}

/**
 * EXPLAIN (ANALYZE, VERBOSE) each captured read statement as the application runs it: in a transaction
 * as the application role for the tenant, rolled back afterwards. Writes and the transaction set-up
 * are skipped.
 */
export async function explainStatements(url: string, tenantId: string, statements: CapturedStatement[]): Promise<StatementPlan[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const plans: StatementPlan[] = [];
  try {
    const seen = new Set<string>();
    for (const s of statements) {
      // A leading comment (PLAN_PER_CALL) does not make a read statement anything else.
      const q = s.query.replace(/^\s*\/\*.*?\*\/\s*/, '').trim();
      const key = `${q}\u0000${JSON.stringify(s.params)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!/^(select|with)\b/i.test(q) || /^select set_config\(/i.test(q)) continue;
      const rolledBack = new Error('rollback');
      await sql
        .begin(async (tx) => {
          await tx`select set_config('role', 'warden_app', true), set_config('app.tenant_id', ${tenantId}, true)`;
          const [row] = await tx.unsafe(`explain (analyze, verbose, format json) ${q}`, s.params as postgres.ParameterOrJSON<never>[]);
          const plan = (row['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[])[0];
          const out = { scans: [] as ScanSummary[], initPlans: [] as PlanNode[] };
          walk(plan.Plan, out);
          plans.push({
            statement: q.replace(/\s+/g, ' ').slice(0, 160),
            totalMs: plan['Execution Time'],
            tenantInitPlans: out.initPlans.length,
            tenantInitPlanMaxLoops: Math.max(0, ...out.initPlans.map((p) => Number(p['Actual Loops'] ?? 0))),
            scans: out.scans,
            plan,
          });
          throw rolledBack;
        })
        .catch((err: unknown) => {
          if (err !== rolledBack) throw err;
        });
    }
  } finally {
    await sql.end();
  }
  return plans;
}
