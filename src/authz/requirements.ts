import { isObjectType, type GraphQLSchema } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { isPermission, type Classification, type Permission } from './permissions';
import type { StepUp } from './step-up';
import type { MaskKind } from './mask';
import type { SensitiveLevel } from './policy';

/** What a field needs, read from the schema's directives: the single source of truth for authorization. */
export type Requirement = { kind: 'public' } | { kind: 'auth'; permissions: Permission[]; preMfa?: boolean };
export type Sensitivity = { level: SensitiveLevel; mask: MaskKind | undefined };
export type FieldRequirement = {
  coordinate: string;
  requirement: Requirement | undefined;
  sensitive: Sensitivity | undefined;
  /** @mfa: the field needs a session that passed a second factor recently (for some rows, or all). */
  stepUp: StepUp | undefined;
};

export const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'];

function readRequirement(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1]): Requirement | undefined {
  if (getDirective(schema, node, 'public')?.length) return { kind: 'public' };
  const auth = getDirective(schema, node, 'auth')?.[0];
  if (!auth) return undefined;
  const requires = (auth.requires ?? []) as string[];
  const unknown = requires.filter((p) => !isPermission(p));
  if (unknown.length) throw new Error(`@auth names unknown permissions: ${unknown.join(', ')}`);
  const preMfa = Boolean(getDirective(schema, node, 'preMfa')?.length);
  return { kind: 'auth', permissions: requires as Permission[], ...(preMfa && { preMfa }) };
}

/**
 * Every field of every object type with what it requires. Root fields take only their own directive;
 * other fields their own, else their type's. A field with neither has no requirement and is denied.
 */
export function collectRequirements(schema: GraphQLSchema): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRequirement = ROOT_TYPES.includes(type.name) ? undefined : readRequirement(schema, type);
    for (const field of Object.values(type.getFields())) {
      const sensitiveDirective = getDirective(schema, field, 'sensitive')?.[0];
      const mfaDirective = getDirective(schema, field, 'mfa')?.[0];
      out.push({
        coordinate: `${type.name}.${field.name}`,
        requirement: readRequirement(schema, field) ?? typeRequirement,
        sensitive: sensitiveDirective
          ? { level: sensitiveDirective.level as SensitiveLevel, mask: sensitiveDirective.mask as MaskKind | undefined }
          : undefined,
        stepUp: mfaDirective ? { minClassification: mfaDirective.minClassification as Classification | undefined } : undefined,
      });
    }
  }
  return out;
}
