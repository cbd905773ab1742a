import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
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
  /**
   * @derivedFrom: the value comes from another protected field (a snippet of a body) and takes that
   * field's @sensitive and @mfa, decided on the record at `via` (the parent itself when absent).
   */
  derivedFrom?: { coordinate: string; via: string | undefined };
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
  const own = collectOwnRequirements(schema);
  const byCoordinate = new Map(own.map((r) => [r.coordinate, r]));
  // A derived field gets its source's protection, so the compiler cannot forget it.
  return own.map((r) => {
    if (!r.derivedFrom) return r;
    const source = byCoordinate.get(r.derivedFrom.coordinate);
    if (!source) throw new Error(`${r.coordinate}: @derivedFrom names an unknown field ${r.derivedFrom.coordinate}`);
    if (source.derivedFrom) throw new Error(`${r.coordinate}: @derivedFrom must name an original field, not the derived ${source.coordinate}`);
    if (!source.sensitive && !source.stepUp) throw new Error(`${r.coordinate}: @derivedFrom names ${source.coordinate}, which is not protected`);
    return { ...r, sensitive: r.sensitive ?? source.sensitive, stepUp: r.stepUp ?? source.stepUp };
  });
}

function collectOwnRequirements(schema: GraphQLSchema): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRequirement = ROOT_TYPES.includes(type.name) ? undefined : readRequirement(schema, type);
    for (const field of Object.values(type.getFields())) {
      const sensitiveDirective = getDirective(schema, field, 'sensitive')?.[0];
      const mfaDirective = getDirective(schema, field, 'mfa')?.[0];
      const derivedDirective = getDirective(schema, field, 'derivedFrom')?.[0];
      out.push({
        coordinate: `${type.name}.${field.name}`,
        requirement: readRequirement(schema, field) ?? typeRequirement,
        sensitive: sensitiveDirective
          ? { level: sensitiveDirective.level as SensitiveLevel, mask: sensitiveDirective.mask as MaskKind | undefined }
          : undefined,
        stepUp: mfaDirective ? { minClassification: mfaDirective.minClassification as Classification | undefined } : undefined,
        ...(derivedDirective && { derivedFrom: { coordinate: String(derivedDirective.field), via: derivedDirective.via as string | undefined } }),
      });
    }
  }
  return out;
}

/**
 * Fields that look derived from a protected field but do not say so: text on a search or list edge
 * beside its node (a snippet, a highlight), and a field of a @partOf type that mirrors a protected field
 * of the record it is part of (a version's body) without the same protection. Start-up refuses a schema
 * with any.
 */
export function undeclaredDerivedFields(schema: GraphQLSchema): string[] {
  const requirements = collectRequirements(schema);
  const byCoordinate = new Map(requirements.map((r) => [r.coordinate, r]));
  const problems: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const fields = type.getFields();
    if (type.name.endsWith('Edge') && fields.node) {
      for (const f of Object.values(fields)) {
        if (f.name === 'cursor' || f.name === 'node' || getNamedType(f.type).name !== 'String') continue;
        if (!byCoordinate.get(`${type.name}.${f.name}`)?.derivedFrom) problems.push(`${type.name}.${f.name}: text beside the node, without @derivedFrom`);
      }
    }
    const of = getDirective(schema, type, 'partOf')?.[0]?.type as string | undefined;
    if (!of) continue;
    for (const f of Object.values(fields)) {
      const source = byCoordinate.get(`${of}.${f.name}`);
      if (!source || (!source.sensitive && !source.stepUp)) continue;
      const mine = byCoordinate.get(`${type.name}.${f.name}`);
      const same = JSON.stringify([mine?.sensitive, mine?.stepUp]) === JSON.stringify([source.sensitive, source.stepUp]);
      if (!same) problems.push(`${type.name}.${f.name}: mirrors the protected ${source.coordinate} without its protection (@derivedFrom)`);
    }
  }
  return problems;
}

const cache = new WeakMap<GraphQLSchema, Map<string, FieldRequirement>>();

/** One field's requirement in a schema (the executing one: resolvers get it as info.schema), read once per schema. */
export function fieldRequirement(schema: GraphQLSchema, coordinate: string): FieldRequirement {
  let byCoordinate = cache.get(schema);
  if (!byCoordinate) cache.set(schema, (byCoordinate = new Map(collectRequirements(schema).map((r) => [r.coordinate, r]))));
  const found = byCoordinate.get(coordinate);
  // A code path that asks for a field's protection must never get "none" for a typo: fail closed.
  if (!found) throw new Error(`no field ${coordinate} in the schema`);
  return found;
}

/** @partOf on a type: its rows are parts of a record of another protected type, and decided as that record. */
export function partOfTypes(schema: GraphQLSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const partOf = getDirective(schema, type, 'partOf')?.[0];
    if (partOf) out.set(type.name, String(partOf.type));
  }
  return out;
}
