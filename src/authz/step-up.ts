import type { GraphQLError } from 'graphql';
import { mfaRequired } from '../lib/errors';
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { CLASSIFICATIONS, classificationRank, type Classification } from './permissions';
import type { Viewer } from './viewer';

/**
 * Second-factor decisions: pure functions of the viewer (loaded once per request) and the row being
 * resolved, so a step-up check costs no SQL.
 */
export type StepUp = { minClassification: Classification | undefined };

/** The tenant requires MFA for one of the viewer's roles and this session has not passed it. */
export const mfaPending = (viewer: Viewer): boolean => Boolean(viewer.mfa?.required && !viewer.mfa.at);

/** The session passed a second factor within the step-up age. */
export function mfaFresh(viewer: Viewer, now = Date.now()): boolean {
  const at = viewer.mfa?.at;
  return Boolean(at && now - at.getTime() <= viewer.mfa!.maxAgeSeconds * 1000);
}

/** Whether the field needs a fresh second factor for this row (a row-dependent check on loaded data). */
export function stepUpApplies(stepUp: StepUp, parent: unknown): boolean {
  if (!stepUp.minClassification) return true;
  const classification = (parent as { classification?: unknown } | null)?.classification;
  // A row without a classification where one is expected is treated as the highest tier: fail closed.
  if (typeof classification !== 'string') return true;
  return classificationRank(classification) >= classificationRank(stepUp.minClassification);
}

/**
 * stepUpApplies and mfaFresh as one SQL condition over a classification column: the rows on which this
 * viewer passes the step-up. Undefined when it holds on every row (a fresh second factor).
 */
export function stepUpPassedSql(viewer: Viewer, stepUp: StepUp, classification: PgColumn): SQL | undefined {
  if (mfaFresh(viewer)) return undefined;
  if (!stepUp.minClassification) return sql`false`;
  const below = CLASSIFICATIONS.filter((c) => classificationRank(c) < classificationRank(stepUp.minClassification!));
  return below.length ? inArray(classification, below) : sql`false`;
}

/** MFA_REQUIRED with what the client needs to step up. */
export function stepUpError(viewer: Viewer, reason: 'step-up' | 'policy'): GraphQLError {
  const enrolled = Boolean(viewer.mfa?.enrolled);
  return mfaRequired(
    reason === 'policy' ? 'Your role requires a second factor: verify one before continuing' : 'This field needs a recent second factor (see extensions.stepUp)',
    {
      stepUp: enrolled ? 'verifyMfa' : 'enrollTotp',
      enrolled,
      maxAgeSeconds: viewer.mfa?.maxAgeSeconds ?? null,
      reason: reason === 'policy' ? 'MFA_POLICY' : 'STEP_UP',
    },
  );
}
