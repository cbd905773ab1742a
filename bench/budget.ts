import type { Scenario } from './scenarios';

/** What one arm measured: the median of its rounds, and its probe's counts. */
export type ArmFigures = { reqPerSec: number; p99: number; statements: number; roundTrips: number; cpuMsPerRequest: number };

export type BudgetCheck = { name: string; budget: string; measured: string; met: boolean };

const fixed = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** Arm A against arm B, per the scenario's budget. */
export function checkBudget(budget: Scenario['budget'], a: ArmFigures, b: ArmFigures): BudgetCheck[] {
  if (!budget) return [];
  const checks: BudgetCheck[] = [];
  if (budget.minThroughput !== undefined) {
    const r = a.reqPerSec / b.reqPerSec;
    checks.push({ name: 'req/s A ÷ B', budget: `≥ ${budget.minThroughput}`, measured: fixed(r), met: r >= budget.minThroughput });
  }
  if (budget.maxP99 !== undefined) {
    const r = a.p99 / b.p99;
    checks.push({ name: 'p99 A ÷ B', budget: `≤ ${budget.maxP99}`, measured: fixed(r), met: r <= budget.maxP99 });
  }
  if (budget.maxCpuRatio !== undefined) {
    const r = a.cpuMsPerRequest / b.cpuMsPerRequest;
    checks.push({ name: 'CPU ms per request (server + PostgreSQL) A ÷ B', budget: `≤ ${budget.maxCpuRatio}`, measured: fixed(r), met: r <= budget.maxCpuRatio });
  }
  if (budget.maxRoundTrips !== undefined) {
    const worst = Math.max(a.roundTrips, b.roundTrips);
    checks.push({ name: 'round trips per request at the wire', budget: `≤ ${budget.maxRoundTrips}`, measured: String(worst), met: worst <= budget.maxRoundTrips });
  }
  if (budget.maxStatements !== undefined) {
    const worst = Math.max(a.statements, b.statements);
    checks.push({ name: 'SQL statements per request', budget: `≤ ${budget.maxStatements}`, measured: String(worst), met: worst <= budget.maxStatements });
  }
  if (budget.sameStatements) {
    checks.push({ name: 'statements unchanged when first doubles', budget: 'A = B', measured: `${a.statements} vs ${b.statements}`, met: a.statements === b.statements });
    checks.push({ name: 'round trips unchanged when first doubles', budget: 'A = B', measured: `${a.roundTrips} vs ${b.roundTrips}`, met: a.roundTrips === b.roundTrips });
  }
  return checks;
}
