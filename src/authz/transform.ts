import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { forbidden } from '../lib/errors';
import { authorize, sensitiveMode, type AuthorizationContext } from './authorize';
import { fieldMode } from './policy';
import { isDecidable, isResourceType, partOf, resourceOf } from './resources';
import { mask } from './mask';
import { collectRequirements, partOfTypes, ROOT_TYPES, undeclaredDerivedFields, type FieldRequirement } from './requirements';
import { applyAuthorization } from './shield';
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

/** Mask or hide a @sensitive field's value by the viewer's mode on its record, and record the read for the audit log. */
function wrapSensitive(field: AnyField, typeName: string, fieldName: string, req: FieldRequirement, at: DecisionPoint): AnyField {
  const resolve = field.resolve ?? defaultFieldResolver;
  const sensitivity = req.sensitive!;
  return {
    ...field,
    resolve: async (parent, args, ctx: SensitiveReadContext, info) => {
      const anywhere = await sensitiveMode(ctx, sensitivity);
      if (typeof anywhere !== 'string') throw anywhere;
      // The record decides: a scope (own records, a team) or a grant may cover some records and not others.
      // Decided before the value is resolved, so a hidden value is never even decrypted.
      const row = at.row(parent);
      const resource = row && resourceOf(at.typeName, row);
      const viewer = await ctx.viewer();
      if (!resource || !viewer) throw forbidden();
      const mode = fieldMode(viewer, sensitivity.level, sensitivity.mask !== undefined, resource);
      // Shield has already refused HIDDEN everywhere; this refuses it on records no scope or grant covers.
      if (mode === 'HIDDEN') throw forbidden();
      const value: unknown = await resolve(parent, args, ctx, info);
      if (value === null || value === undefined) return value;
      ctx.recordSensitiveRead(typeName, fieldName, String(row.id), mode, sensitivity.level);
      return mode === 'MASKED' ? mask(sensitivity.mask!, String(value)) : value;
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
