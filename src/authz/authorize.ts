import type { GraphQLError } from 'graphql';
import { failureExtensions, type AuthFailure } from '../authn/session-end';
import { forbidden, unauthenticated } from '../lib/errors';
import { lockdownBlocks, lockdownError } from './lockdown';
import { fieldModeAnywhere, holds, type FieldMode } from './policy';
import { ROOT_TYPES, type Requirement, type Sensitivity } from './requirements';
import { mfaPending, stepUpError } from './step-up';
import type { Viewer } from './viewer';

/** What authorization needs from the request context. */
export interface AuthorizationContext {
  viewer(): Promise<Viewer | null>;
  /** The viewer once loaded (undefined before), so per-row code need not await it on every field. */
  loadedViewer?(): Viewer | null | undefined;
  /** Why there is no viewer (bad, expired or revoked token), when one was presented. */
  authFailure(): AuthFailure | undefined;
  recordDenial(coordinate: string, reason: string): void;
  counters: { ruleEvaluations: number };
}

async function requireViewer(ctx: AuthorizationContext): Promise<Viewer | GraphQLError> {
  const viewer = await ctx.viewer();
  if (viewer) return viewer;
  const failure = ctx.authFailure();
  return unauthenticated(failure?.message ?? 'Authentication required', failureExtensions(failure));
}

/** Decide a field's requirement. Returns true or the error to show; shield rules and subscribe both use it. */
export async function authorize(
  requirement: Requirement,
  ctx: AuthorizationContext,
  coordinate: string,
): Promise<true | GraphQLError> {
  ctx.counters.ruleEvaluations++;
  if (requirement.kind === 'public') return true;
  const viewer = await requireViewer(ctx);
  if (!('userId' in viewer)) return viewer;
  const missing = requirement.permissions.filter((p) => !holds(viewer, p));
  if (missing.length > 0) {
    ctx.recordDenial(coordinate, `missing ${missing.join(', ')}`);
    return forbidden();
  }
  if (viewer.lockdown && lockdownBlocks(coordinate, requirement)) {
    ctx.recordDenial(coordinate, 'tenant lockdown');
    return lockdownError(viewer.lockdown);
  }
  // Tenant MFA policy: until the session passes a second factor, only @preMfa root fields answer.
  // Nested fields are reachable only through a root field, so checking roots is enough.
  if (ROOT_TYPES.includes(coordinate.split('.')[0]) && !requirement.preMfa && mfaPending(viewer)) {
    ctx.recordDenial(coordinate, 'second factor required by tenant policy');
    return stepUpError(viewer, 'policy');
  }
  return true;
}

/** The viewer's mode for a sensitive field; HIDDEN is a denial. */
export async function sensitiveMode(ctx: AuthorizationContext, sensitivity: Sensitivity): Promise<FieldMode | GraphQLError> {
  const viewer = await requireViewer(ctx);
  if (!('userId' in viewer)) return viewer;
  return fieldModeAnywhere(viewer, sensitivity.level, sensitivity.mask !== undefined);
}

export async function authorizeSensitive(
  sensitivity: Sensitivity,
  ctx: AuthorizationContext,
  coordinate: string,
): Promise<true | GraphQLError> {
  ctx.counters.ruleEvaluations++;
  const mode = await sensitiveMode(ctx, sensitivity);
  if (typeof mode !== 'string') return mode;
  if (mode !== 'HIDDEN') return true;
  ctx.recordDenial(coordinate, `no read access to ${sensitivity.level} data`);
  return forbidden();
}
