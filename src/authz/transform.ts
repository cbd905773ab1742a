import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { forbidden } from '../lib/errors';
import { authorize, sensitiveMode, type AuthorizationContext } from './authorize';
import { fieldMode } from './policy';
import { resourceOf } from './resources';
import { mask } from './mask';
import { collectRequirements, type FieldRequirement } from './requirements';
import { applyAuthorization } from './shield';
import { mfaFresh, stepUpApplies, stepUpError } from './step-up';

/** What the sensitive-field wrapper records: one read of a field of a record, and how it was shown. */
export interface SensitiveReadContext extends AuthorizationContext {
  recordSensitiveRead(typeName: string, field: string, recordId: string, mode: 'FULL' | 'MASKED'): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyField = GraphQLFieldConfig<any, any>;

/** Mask or hide a @sensitive field's value by the viewer's mode, and record the read for the audit log. */
function wrapSensitive(field: AnyField, typeName: string, fieldName: string, req: FieldRequirement): AnyField {
  const resolve = field.resolve ?? defaultFieldResolver;
  const sensitivity = req.sensitive!;
  return {
    ...field,
    resolve: async (parent, args, ctx: SensitiveReadContext, info) => {
      const anywhere = await sensitiveMode(ctx, sensitivity);
      if (typeof anywhere !== 'string') throw anywhere;
      // The row decides: a scope (own records, a team) or a grant may cover some rows and not others.
      // Decided before the value is resolved, so a hidden value is never even decrypted.
      const resource = resourceOf(typeName, parent as Record<string, unknown>);
      const viewer = await ctx.viewer();
      const mode = resource && viewer ? fieldMode(viewer, sensitivity.level, sensitivity.mask !== undefined, resource) : anywhere;
      // Shield has already refused HIDDEN everywhere; this refuses it on rows no scope or grant covers.
      if (mode === 'HIDDEN') throw forbidden();
      const value: unknown = await resolve(parent, args, ctx, info);
      if (value === null || value === undefined) return value;
      ctx.recordSensitiveRead(typeName, fieldName, String((parent as { id?: unknown }).id), mode);
      return mode === 'MASKED' ? mask(sensitivity.mask!, String(value)) : value;
    },
  };
}

/**
 * @mfa step-up: for the rows it applies to (a pure function of the parent row), the session must have
 * passed a second factor within the step-up age, or the field is MFA_REQUIRED with how to step up.
 * Reads it lets through are recorded like sensitive reads (unless @sensitive already records them).
 */
function wrapStepUp(field: AnyField, typeName: string, fieldName: string, req: FieldRequirement): AnyField {
  const resolve = field.resolve ?? defaultFieldResolver;
  const stepUp = req.stepUp!;
  return {
    ...field,
    resolve: async (parent, args, ctx: SensitiveReadContext, info) => {
      if (stepUpApplies(stepUp, parent)) {
        const viewer = await ctx.viewer();
        if (!viewer) throw forbidden();
        if (!mfaFresh(viewer)) {
          ctx.recordDenial(`${typeName}.${fieldName}`, 'fresh second factor required');
          throw stepUpError(viewer, 'step-up');
        }
        const id = (parent as { id?: unknown } | undefined)?.id;
        if (!req.sensitive && id !== undefined) ctx.recordSensitiveRead(typeName, fieldName, String(id), 'FULL');
      }
      return resolve(parent, args, ctx, info);
    },
  };
}

/**
 * graphql-middleware wraps `resolve`, not `subscribe`: authorize subscriptions at subscribe time with
 * the same decision the shield rule makes (ARCHITECTURE.md, "Authorization with graphql-shield").
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
  const byCoordinate = new Map(collectRequirements(schema).map((r) => [r.coordinate, r]));
  const wrapped = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const req = byCoordinate.get(`${typeName}.${fieldName}`);
      if (!req) return field;
      if (typeName === 'Subscription') return wrapSubscribe(field, `${typeName}.${fieldName}`, req);
      const masked = req.sensitive ? wrapSensitive(field, typeName, fieldName, req) : field;
      return req.stepUp ? wrapStepUp(masked, typeName, fieldName, req) : masked;
    },
  });
  return applyAuthorization(wrapped);
}
