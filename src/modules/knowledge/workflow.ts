import type { Permission } from '../../authz/permissions';
import { badInput } from '../../lib/errors';

/**
 * The article workflow: DRAFT → IN_REVIEW → PUBLISHED → ARCHIVED. Writing and publishing are separate
 * rights: a writer submits, a publisher publishes and archives. Readers see only PUBLISHED articles
 * (src/authz/policy.ts), so a change to what they see always needs ARTICLE_PUBLISH.
 */
export const ARTICLE_STATUSES = ['DRAFT', 'IN_REVIEW', 'PUBLISHED', 'ARCHIVED'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

export type WorkflowStep = 'submit' | 'publish' | 'archive' | 'returnToDraft';

type Transition = { from: readonly ArticleStatus[]; to: ArticleStatus; requires: Permission; change: string };

export const TRANSITIONS: Record<WorkflowStep, Transition> = {
  submit: { from: ['DRAFT'], to: 'IN_REVIEW', requires: 'ARTICLE_WRITE', change: 'SUBMITTED' },
  publish: { from: ['IN_REVIEW'], to: 'PUBLISHED', requires: 'ARTICLE_PUBLISH', change: 'PUBLISHED' },
  archive: { from: ['PUBLISHED'], to: 'ARCHIVED', requires: 'ARTICLE_PUBLISH', change: 'ARCHIVED' },
  // Withdraw from review, send back with comments, or reopen an archived article for rework.
  returnToDraft: { from: ['IN_REVIEW', 'ARCHIVED'], to: 'DRAFT', requires: 'ARTICLE_WRITE', change: 'RETURNED_TO_DRAFT' },
};

/** The transition for a step from a status, or BAD_USER_INPUT with reason INVALID_TRANSITION. */
export function transition(step: WorkflowStep, from: string): Transition {
  const t = TRANSITIONS[step];
  if (!(t.from as readonly string[]).includes(from)) {
    throw badInput(`An article in ${from} cannot be moved to ${t.to}; allowed from ${t.from.join(' or ')}`, {
      reason: 'INVALID_TRANSITION',
      from,
      to: t.to,
      allowedFrom: [...t.from],
    });
  }
  return t;
}

/**
 * Who may change an article's content in a status: writers while readers cannot see it, publishers
 * once it is PUBLISHED (the edit reaches readers at once), nobody while ARCHIVED (reopen it first).
 */
export function editRequirement(status: string): { permission: Permission } | { refused: string } {
  switch (status) {
    case 'DRAFT':
    case 'IN_REVIEW':
      return { permission: 'ARTICLE_WRITE' };
    case 'PUBLISHED':
      return { permission: 'ARTICLE_PUBLISH' };
    default:
      return { refused: 'An archived article cannot be edited; return it to draft first' };
  }
}
