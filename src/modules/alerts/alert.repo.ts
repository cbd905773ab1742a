import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { detectionRules, securityAlerts } from '../../db/schema';
import type { Page } from '../../lib/pagination';
import { RULE_KINDS, withDefaults, type RuleConfig } from '../../audit/detection/rules';
import { keyset } from '../keyset';

export type AlertRow = typeof securityAlerts.$inferSelect;

export async function insertAlert(tx: Tx, values: typeof securityAlerts.$inferInsert): Promise<AlertRow> {
  const [row] = await tx.insert(securityAlerts).values(values).returning();
  return row;
}

export async function setAlertResponses(tx: Tx, id: string, responses: unknown[]): Promise<void> {
  await tx.update(securityAlerts).set({ responses }).where(eq(securityAlerts.id, id));
}

export async function alertsByIds(tx: Tx, ids: readonly string[]): Promise<AlertRow[]> {
  if (!ids.length) return [];
  return tx.select().from(securityAlerts).where(sql`${securityAlerts.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

export async function alertForUpdate(tx: Tx, id: string): Promise<AlertRow | undefined> {
  const [row] = await tx.select().from(securityAlerts).where(eq(securityAlerts.id, id)).for('update');
  return row;
}

export async function updateAlert(tx: Tx, id: string, patch: Partial<typeof securityAlerts.$inferInsert>): Promise<AlertRow> {
  const [row] = await tx.update(securityAlerts).set(patch).where(eq(securityAlerts.id, id)).returning();
  return row;
}

export async function listAlerts(tx: Tx, page: Page, f: { status?: string; severity?: string; rule?: string }) {
  const filters: (SQL | undefined)[] = [
    f.status ? eq(securityAlerts.status, f.status) : undefined,
    f.severity ? eq(securityAlerts.severity, f.severity) : undefined,
    f.rule ? eq(securityAlerts.rule, f.rule) : undefined,
  ];
  const k = keyset(securityAlerts, page, and(sql`true`, ...filters)!);
  return tx.select({ alert: securityAlerts, cursorAt: k.cursorAt }).from(securityAlerts).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

/** The tenant's rules: its own settings where it has them, the defaults elsewhere. */
export async function effectiveRules(tx: Tx): Promise<RuleConfig[]> {
  const rows = await tx.select().from(detectionRules);
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  return RULE_KINDS.map((kind) => withDefaults(kind, byKind.get(kind)));
}
