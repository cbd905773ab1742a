/**
 * The permission catalogue: every action Warden knows. The GraphQL enum `Permission` in
 * schema/access.graphql must list exactly these (a test holds them equal).
 */
export const PERMISSIONS = [
  'ARTICLE_READ',
  'ARTICLE_WRITE',
  'ARTICLE_PUBLISH',
  'ARTICLE_INTERNAL_NOTES_READ',
  'KNOWLEDGE_MANAGE',
  'CUSTOMER_READ',
  'CUSTOMER_WRITE',
  'TICKET_READ',
  'TICKET_WRITE',
  'FEEDBACK_READ',
  'FEEDBACK_WRITE',
  'STATS_READ',
  'PII_READ_MASKED',
  'PII_READ_FULL',
  'PII_REVEAL',
  'AUDIT_READ',
  'GRANT_MANAGE',
  'ROLE_MANAGE',
  'USER_MANAGE',
  'TEAM_MANAGE',
  'BREAK_GLASS',
  'ACCESS_EXPLAIN',
  'AUDIT_MANAGE',
  'ALERT_MANAGE',
  'REVIEW_MANAGE',
  'LOCKDOWN',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/** Knowledge tiers, lowest first. RESTRICTED is never cleared by a role, only by an explicit grant. */
export const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];
export const ROLE_CLEARANCES: readonly Classification[] = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL'];

export const classificationRank = (c: string): number => CLASSIFICATIONS.indexOf(c as Classification);

/** Classifications at or below a clearance. */
export const classificationsUpTo = (clearance: Classification): Classification[] =>
  CLASSIFICATIONS.slice(0, classificationRank(clearance) + 1);

export type BuiltInRole = { key: string; name: string; permissions: Permission[]; clearance: Classification };

export const BUILT_IN_ROLES: BuiltInRole[] = [
  { key: 'admin', name: 'Administrator', permissions: [...PERMISSIONS], clearance: 'CONFIDENTIAL' },
  {
    key: 'knowledge_editor',
    name: 'Knowledge editor',
    permissions: ['ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_PUBLISH', 'ARTICLE_INTERNAL_NOTES_READ', 'KNOWLEDGE_MANAGE'],
    clearance: 'INTERNAL',
  },
  {
    key: 'support_agent',
    name: 'Support agent',
    permissions: ['ARTICLE_READ', 'CUSTOMER_READ', 'PII_READ_MASKED', 'TICKET_READ', 'TICKET_WRITE', 'FEEDBACK_WRITE'],
    clearance: 'INTERNAL',
  },
  {
    key: 'support_lead',
    name: 'Support lead',
    permissions: [
      'ARTICLE_READ', 'ARTICLE_WRITE', 'ARTICLE_INTERNAL_NOTES_READ', 'CUSTOMER_READ', 'CUSTOMER_WRITE',
      'PII_READ_MASKED', 'PII_READ_FULL', 'PII_REVEAL', 'TICKET_READ', 'TICKET_WRITE', 'FEEDBACK_READ', 'FEEDBACK_WRITE',
      'STATS_READ', 'BREAK_GLASS',
    ],
    clearance: 'CONFIDENTIAL',
  },
  {
    key: 'sales',
    name: 'Sales',
    permissions: ['ARTICLE_READ', 'CUSTOMER_READ', 'CUSTOMER_WRITE', 'PII_READ_MASKED', 'PII_READ_FULL'],
    clearance: 'PUBLIC',
  },
  { key: 'security_analyst', name: 'Security analyst', permissions: ['ARTICLE_READ', 'AUDIT_READ', 'ACCESS_EXPLAIN', 'ALERT_MANAGE'], clearance: 'INTERNAL' },
  { key: 'new_hire', name: 'New hire', permissions: ['ARTICLE_READ'], clearance: 'PUBLIC' },
];
