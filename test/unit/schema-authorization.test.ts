import { isObjectType } from 'graphql';
import { buildBaseSchema } from '../../src/schema';
import { collectRequirements, ROOT_TYPES, undeclaredDerivedFields } from '../../src/authz/requirements';
import { applyAuthorizationTransform } from '../../src/authz/transform';
import { buildRuleTree } from '../../src/authz/shield';
import { PERMISSIONS } from '../../src/authz/permissions';
import { SENSITIVE_LEVELS } from '../../src/authz/policy';
import { REVEALABLE_FIELDS } from '../../src/modules/access/reveal.service';
import { ARTICLE_CONTENT_STEP_UP } from '../../src/modules/access/grant.service';

const schema = buildBaseSchema();
const requirements = collectRequirements(schema);

describe('the schema is the source of truth for authorization', () => {
  it('gives every Query, Mutation and Subscription field an @auth or @public directive', () => {
    const roots = requirements.filter((r) => ROOT_TYPES.includes(r.coordinate.split('.')[0]));
    expect(roots.length).toBeGreaterThan(5);
    expect(roots.filter((r) => !r.requirement).map((r) => r.coordinate)).toEqual([]);
  });

  it('gives every field of every object type a requirement (nothing allowed by omission)', () => {
    expect(requirements.filter((r) => !r.requirement).map((r) => r.coordinate)).toEqual([]);
  });

  it('compiles a shield rule for exactly the fields that have a requirement', () => {
    const tree = buildRuleTree(schema);
    const compiled = Object.entries(tree).flatMap(([type, fields]) => Object.keys(fields).map((f) => `${type}.${f}`));
    expect(compiled.sort()).toEqual(requirements.map((r) => r.coordinate).sort());
  });

  it('marks customer contact data, article notes and personal data in audit events and alerts sensitive, with masks where masking is allowed', () => {
    const sensitive = Object.fromEntries(requirements.filter((r) => r.sensitive).map((r) => [r.coordinate, r.sensitive]));
    expect(sensitive).toEqual({
      'Customer.phone': { level: 'PII', mask: 'PHONE' },
      'Customer.email': { level: 'PII', mask: 'EMAIL' },
      'Customer.idNumber': { level: 'PII', mask: 'ID_NUMBER' },
      'Customer.address': { level: 'PII', mask: 'ADDRESS' },
      'CustomerContact.phone': { level: 'PII', mask: 'PHONE' },
      'CustomerContact.email': { level: 'PII', mask: 'EMAIL' },
      'Article.internalNotes': { level: 'INTERNAL', mask: undefined },
      'ArticleVersion.internalNotes': { level: 'INTERNAL', mask: undefined },
      'AuditEvent.personalDetail': { level: 'PII', mask: undefined },
      'LeaverReportEntry.personalDetail': { level: 'PII', mask: undefined },
      'SecurityAlert.subjectAddress': { level: 'PII', mask: undefined },
    });
  });

  it('asks for a fresh second factor on the content of CONFIDENTIAL-and-above articles, and nowhere by accident', () => {
    const stepUp = Object.fromEntries(requirements.filter((r) => r.stepUp).map((r) => [r.coordinate, r.stepUp]));
    expect(stepUp).toEqual({
      'Article.body': { minClassification: 'CONFIDENTIAL' },
      'Article.internalNotes': { minClassification: 'CONFIDENTIAL' },
      // Derived from the body and the notes: the same step-up, decided on the same article.
      'ArticleSearchEdge.snippet': { minClassification: 'CONFIDENTIAL' },
      'ArticleVersion.body': { minClassification: 'CONFIDENTIAL' },
      'ArticleVersion.internalNotes': { minClassification: 'CONFIDENTIAL' },
      'Mutation.regenerateRecoveryCodes': { minClassification: undefined },
    });
  });

  it('gives every derived field its source and its source\'s protection', () => {
    expect(undeclaredDerivedFields(schema)).toEqual([]);
    const derived = Object.fromEntries(requirements.filter((r) => r.derivedFrom).map((r) => [r.coordinate, r.derivedFrom]));
    expect(derived).toEqual({
      'ArticleSearchEdge.snippet': { coordinate: 'Article.body', via: 'node' },
      'ArticleVersion.body': { coordinate: 'Article.body', via: undefined },
      'ArticleVersion.internalNotes': { coordinate: 'Article.internalNotes', via: undefined },
    });
    expect(requirements.find((r) => r.coordinate === 'ArticleVersion.internalNotes')?.sensitive).toEqual({ level: 'INTERNAL', mask: undefined });
  });

  it('refuses at start-up a derived field that does not declare its source, and a protected field on a record it cannot decide', () => {
    const { makeExecutableSchema } = jest.requireActual('@graphql-tools/schema');
    const { typeDefs } = jest.requireActual('../../src/schema');
    const { mergeTypeDefs } = jest.requireActual('@graphql-tools/merge');
    const withExtra = (sdl: string) => makeExecutableSchema({ typeDefs: mergeTypeDefs([typeDefs(), sdl]) });
    // A highlight beside a search node, and a copy of a version's body without the body's step-up.
    const undeclared = withExtra(`
      type ArticleHighlightEdge @auth(requires: [ARTICLE_READ]) { cursor: String! node: Article! highlight: String }
      type ArticleDraft @auth(requires: [ARTICLE_WRITE]) @partOf(type: "Article") { id: ID! body: String }
      type Query { highlights: [ArticleHighlightEdge!]! @auth(requires: [ARTICLE_READ]) drafts: [ArticleDraft!]! @auth(requires: [ARTICLE_WRITE]) }`);
    expect(undeclaredDerivedFields(undeclared)).toEqual([
      'ArticleHighlightEdge.highlight: text beside the node, without @derivedFrom',
      'ArticleDraft.body: mirrors the protected Article.body without its protection (@derivedFrom)',
    ]);
    expect(() => applyAuthorizationTransform(undeclared)).toThrow(/derived fields must declare their source/);
    // A sensitive field on a type the policy cannot resolve to a record (it would fall back to "holds it somewhere").
    const undecidable = withExtra(`
      type Lead @auth(requires: [CUSTOMER_READ]) { id: ID! phone: String @sensitive(level: PII, mask: PHONE) }
      type Query { leads: [Lead!]! @auth(requires: [CUSTOMER_READ]) }`);
    expect(() => applyAuthorizationTransform(undecidable)).toThrow(/Lead.phone is protected, but Lead is not a record the policy decides/);
    // A derived field naming a source that is not protected, or does not exist.
    expect(() => collectRequirements(withExtra(`type Tip @auth(requires: [ARTICLE_READ]) { t: String @derivedFrom(field: "Article.title") } type Query { tip: Tip @auth(requires: [ARTICLE_READ]) }`))).toThrow(/not protected/);
    expect(() => collectRequirements(withExtra(`type Tip @auth(requires: [ARTICLE_READ]) { t: String @derivedFrom(field: "Article.nope") } type Query { tip: Tip @auth(requires: [ARTICLE_READ]) }`))).toThrow(/unknown field/);
  });

  it('lets only sign-in, MFA set-up and session fields answer before a policy-required second factor', () => {
    const preMfa = requirements.filter((r) => r.requirement?.kind === 'auth' && r.requirement.preMfa).map((r) => r.coordinate).sort();
    expect(preMfa).toEqual([
      'Mutation.confirmTotp', 'Mutation.enrollTotp', 'Mutation.logout', 'Mutation.revokeMySessions', 'Mutation.revokeSession', 'Mutation.verifyMfa',
      'Query.me', 'Query.mySessions',
    ]);
  });

  it('gives every @sensitive field an explicit resolver (so the masking wrapper is never bypassed)', () => {
    for (const r of requirements.filter((x) => x.sensitive)) {
      const [typeName, fieldName] = r.coordinate.split('.');
      const type = schema.getType(typeName);
      if (!isObjectType(type)) throw new Error(`${r.coordinate}: not on an object type`);
      expect([r.coordinate, typeof type.getFields()[fieldName].resolve]).toEqual([r.coordinate, 'function']);
    }
  });

  it('keeps the Permission enum equal to the catalogue, and every level maps to catalogue permissions', () => {
    const e = schema.getType('Permission');
    expect(e && 'getValues' in e ? e.getValues().map((v) => v.name) : []).toEqual([...PERMISSIONS]);
    const levels = schema.getType('SensitiveLevel');
    expect(levels && 'getValues' in levels ? levels.getValues().map((v) => v.name).sort() : []).toEqual(Object.keys(SENSITIVE_LEVELS).sort());
  });

  it('refuses a schema whose @auth names an unknown permission at start-up', () => {
    const { makeExecutableSchema } = jest.requireActual('@graphql-tools/schema');
    const { typeDefs } = jest.requireActual('../../src/schema');
    const { mergeTypeDefs } = jest.requireActual('@graphql-tools/merge');
    const bad = makeExecutableSchema({ typeDefs: mergeTypeDefs([typeDefs(), 'type Query { x: Int @auth(requires: [NOT_A_PERMISSION]) }']) });
    expect(() => collectRequirements(bad)).toThrow(/invalid value \[NOT_A_PERMISSION\]|unknown permissions/);
  });

  it('lets revealField reveal exactly the maskable PII fields of the schema', () => {
    const pii: Record<string, string[]> = {};
    for (const r of requirements.filter((x) => x.sensitive?.level === 'PII' && x.sensitive.mask)) {
      const [type, field] = r.coordinate.split('.');
      (pii[type] ??= []).push(field);
    }
    // Every revealable type reveals exactly its maskable PII fields (contacts are revealed through their customer's page, not yet by revealField).
    for (const [type, fields] of Object.entries(REVEALABLE_FIELDS)) expect([...fields].sort()).toEqual(pii[type].sort());
    expect(Object.keys(REVEALABLE_FIELDS)).toContain('Customer');
  });

  it('asks a granter for the step-up the schema asks of an article\'s content readers', () => {
    const content = requirements.filter((r) => r.coordinate.startsWith('Article.') && r.stepUp);
    expect(content.map((r) => r.coordinate).sort()).toEqual(['Article.body', 'Article.internalNotes']);
    for (const r of content) expect(r.stepUp).toEqual(ARTICLE_CONTENT_STEP_UP);
  });
});
