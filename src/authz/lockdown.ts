import { forbidden } from '../lib/errors';
import type { Permission } from './permissions';
import type { Requirement } from './requirements';

/** A tenant lockdown as the viewer statement reads it. */
export type LockdownState = { id: string; reason: string; startedAt: Date };

/** Permissions that change the knowledge base (articles, spaces, categories): not the reading ones. */
export const isKnowledgeWrite = (p: Permission): boolean => /^(ARTICLE|KNOWLEDGE)_/.test(p) && !p.endsWith('_READ');

/**
 * A knowledge-base mutation: a Mutation field whose @auth needs a knowledge-writing permission. Read
 * from the schema's directives like every other decision, so new knowledge mutations are covered.
 */
export const lockdownBlocks = (coordinate: string, requirement: Requirement): boolean =>
  coordinate.startsWith('Mutation.') && requirement.kind === 'auth' && requirement.permissions.some(isKnowledgeWrite);

export const lockdownError = (l: LockdownState) =>
  forbidden(`The knowledge base is read-only during the lockdown started ${l.startedAt.toISOString()}: ${l.reason}`, { reason: 'LOCKDOWN' });
