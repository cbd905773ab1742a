import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { forbidden } from '../lib/errors';
import { authorize, sensitiveMode, type AuthorizationContext } from './authorize';
import { fieldMode, fieldModeAnywhere, type FieldMode } from './policy';
import type { Viewer } from './viewer';
import { isDecidable, isResourceType, partOf, resourceOf } from './resources';
import { mask } from './mask';
import { collectRequirements, partOfTypes, ROOT_TYPES, undeclaredDerivedFields, type FieldRequirement, type Sensitivity } from './requirements';
import { applyAuthorization } from './shield';
import { isPromise } from './decided-once';
import { mfaFresh, stepUpApplies, stepUpError } from './step-up';

/** What the sensitive-field wrapper records: one read of a field of a record, and how it was shown. */
export interface SensitiveReadContext extends AuthorizationContext {
  recordSensitiveRead(typeName: string, field: string, recordId: string, mode: 'FULL' | 'MASKED', level?: string): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyField = GraphQLFieldConfig<any, any>;

/**
 * Where a field's decision is made: the record (a loaded row and its GraphQL type) the value belongs
 * to. For a derived field, the record at `via` (a search edge's node); otherwise the parent itself.
 */
type DecisionPoint = { typeName: string; row: (parent: unknown) => Record<string, unknown> | undefined };

function decisionPoint(typeName: string, req: FieldRequirement): DecisionPoint {
  const via = req.derivedFrom?.via;
  if (!via) return { typeName, row: (parent) => parent as Record<string, unknown> | undefined };
  const sourceType = req.derivedFrom!.coordinate.split('.')[0];
  return { typeName: sourceType, row: (parent) => (parent as Record<string, unknown> | undefined)?.[via] as Record<string, unknown> | undefined };
}

type Row = Record<string, unknown>;

/**
 * Per viewer (so per request: the viewer is loaded for each one), each row's mode per sensitivity:
 * a customer's four PII fields are one decision on that customer, made once.
 */
const rowModes = new WeakMap<Viewer, WeakMap<Row, Map<string, FieldMode>>>();

function modeOn(viewer: Viewer, sensitivity: Sensitivity, typeName: string, row: Row): FieldMode | undefined {
  const maskable = sensitivity.mask !== undefined;
  const key = `${typeName}:${sensitivity.level}:${maskable}`;
  let rows = rowModes.get(viewer);
  if (!rows) rowModes.set(viewer, (rows = new WeakMap()));
  let modes = rows.get(row);
  if (!modes) rows.set(row, (modes = new Map()));
  let mode = modes.get(key);
  if (mode === undefined) {
    const resource = resourceOf(typeName, row);
    if (!resource) return undefined;
    // The viewer-wide mode first: shield has already refused HIDDEN everywhere; this is defence in depth.
    mode = fieldModeAnywhere(viewer, sensitivity.level, maskable) === 'HIDDEN' ? 'HIDDEN' : fieldMode(viewer, sensitivity.level, maskable, resource);
    modes.set(key, mode);
  }
  return mode;
}

/** Mask or hide a @sensitive field's value by the viewer's mode on its record, and record the read for the audit log. */
function wrapSensitive(field: AnyField, typeName: string, fieldName: string, req: FieldRequirement, at: DecisionPoint): AnyField {
  const resolve = field.resolve ?? defaultFieldResolver;
  const sensitivity = req.sensitive!;
  const shown = (ctx: SensitiveReadContext, row: Row, mode: FieldMode, value: unknown) => {
    if (value === null || value === undefined) return value;
    ctx.recordSensitiveRead(typeName, fieldName, String(row.id), mode as 'FULL' | 'MASKED', sensitivity.level);
    return mode === 'MASKED' ? mask(sensitivity.mask!, String(value)) : value;
  };
  // Decided before the value is resolved, so a hidden value is never even decrypted. The record decides:
  // a scope (own records, a team) or a grant may cover some records and not others.
  const decided = (parent: unknown, args: unknown, ctx: SensitiveReadContext, info: GraphQLResolveInfo, viewer: Viewer) => {
    const row = at.row(parent);
    const mode = row && modeOn(viewer, sensitivity, at.typeName, row);
    if (!row || !mode || mode === 'HIDDEN') throw forbidden();
    const value: unknown = resolve(parent, args, ctx, info);
    return isPromise(value) ? value.then((v) => shown(ctx, row, mode, v)) : shown(ctx, row, mode, value);
  };
  return {
    ...field,
    resolve: (parent, args, ctx: SensitiveReadContext, info) => {
      // Once the request's viewer is loaded (shield's rule loaded it), no await per field of every row.
      const viewer = ctx.loadedViewer?.();
      if (viewer) return decided(parent, args, ctx, info, viewer);
      return (async () => {
        const anywhere = await sensitiveMode(ctx, sensitivity);
        if (typeof anywhere !== 'string') throw anywhere;
        const loaded = await ctx.viewer();
        if (!loaded) throw forbidden();
        return decided(parent, args, ctx, info, loaded);
      })();
    },
  };
}

/**
 * @mfa step-up: for the records it applies to (a pure function of the loaded record), the session must
 * have passed a second factor within the step-up age, or the field is MFA_REQUIRED with how to step up.
 * Reads it lets through are recorded like sensitive reads (unless @sensitive already records them).
 */
function wrapStepUp(field: AnyField, typeName: string, fieldName: string, req: FieldRequirement, at: DecisionPoint): AnyField {
  const resolve = field.resolve ?? defaultFieldResolver;
  const stepUp = req.stepUp!;
  return {
    ...field,
    resolve: async (parent, args, ctx: SensitiveReadContext, info) => {
      const row = at.row(parent);
      const resource = row && resourceOf(at.typeName, row);
      if (stepUpApplies(stepUp, resource ?? row)) {
        const viewer = await ctx.viewer();
        if (!viewer) throw forbidden();
        if (!mfaFresh(viewer)) {
          ctx.recordDenial(`${typeName}.${fieldName}`, 'fresh second factor required');
          throw stepUpError(viewer, 'step-up');
        }
        if (!req.sensitive && row?.id !== undefined) ctx.recordSensitiveRead(typeName, fieldName, String(row.id), 'FULL', 'STEP_UP');
      }
      return resolve(parent, args, ctx, info);
    },
  };
}

/**
 * Every protected field must be decidable on its record, or the served schema does not start: a
 * @sensitive field on a type the policy cannot resolve to a record would otherwise fall back to "holds
 * the permission somewhere", the leak derived values had.
 */
function checkDecidable(schema: GraphQLSchema, requirements: FieldRequirement[]): void {
  const undeclared = undeclaredDerivedFields(schema);
  if (undeclared.length) throw new Error(`derived fields must declare their source:\n${undeclared.join('\n')}`);
  const declared = partOfTypes(schema);
  for (const [type, of] of declared) {
    if (partOf(type) !== of) throw new Error(`${type} is @partOf(type: "${of}") in the schema, but the policy decides it as ${partOf(type) ?? 'nothing'}`);
  }
  for (const req of requirements) {
    const [typeName] = req.coordinate.split('.');
    if (ROOT_TYPES.includes(typeName) || (!req.sensitive && !req.stepUp?.minClassification)) continue;
    const at = decisionPoint(typeName, req);
    if (!isDecidable(at.typeName)) {
      throw new Error(`${req.coordinate} is protected, but ${at.typeName} is not a record the policy decides: add it to the resources, mark the type @partOf, or the field @derivedFrom`);
    }
    if (!isResourceType(at.typeName) && !declared.has(at.typeName)) throw new Error(`${at.typeName} is decided as a part of another record but its type has no @partOf`);
  }
}

/**
 * graphql-middleware wraps `resolve`, not `subscribe`: authorize subscriptions at subscribe time with
 * the same decision the shield rule makes (docs/architecture.md, "Authorization with graphql-shield").
 */
function wrapSubscribe(field: AnyField, coordinate: string, req: FieldRequirement): AnyField {
  const subscribe = field.subscribe;
  if (!subscribe) return field;
  return {
    ...field,
    subscribe: async (parent, args, ctx: AuthorizationContext, info) => {
      if (!req.requirement) {
        ctx.recordDenial(coordinate, 'no authorization rule');
        throw forbidden();
      }
      const decision = await authorize(req.requirement, ctx, coordinate);
      if (decision !== true) throw decision;
      return subscribe(parent, args, ctx, info);
    },
  };
}

/** The authorization transform: directives become masking wrappers, subscribe guards and shield rules. */
export function applyAuthorizationTransform(schema: GraphQLSchema): GraphQLSchema {
  const requirements = collectRequirements(schema);
  checkDecidable(schema, requirements);
  const byCoordinate = new Map(requirements.map((r) => [r.coordinate, r]));
  const wrapped = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const req = byCoordinate.get(`${typeName}.${fieldName}`);
      if (!req) return field;
      if (typeName === 'Subscription') return wrapSubscribe(field, `${typeName}.${fieldName}`, req);
      const at = decisionPoint(typeName, req);
      const masked = req.sensitive ? wrapSensitive(field, typeName, fieldName, req, at) : field;
      return req.stepUp ? wrapStepUp(masked, typeName, fieldName, req, at) : masked;
    },
  });
  return applyAuthorization(wrapped);
}
