import { ARTICLE_STATUSES, editRequirement, transition, TRANSITIONS, type WorkflowStep } from '../../src/modules/knowledge/workflow';
import { decodeTaggedCursor, encodeTaggedCursor } from '../../src/lib/cursor';

describe('article workflow', () => {
  const allowed: Record<WorkflowStep, string[]> = {
    submit: ['DRAFT'],
    publish: ['IN_REVIEW'],
    archive: ['PUBLISHED'],
    returnToDraft: ['IN_REVIEW', 'ARCHIVED'],
  };

  it.each(Object.keys(TRANSITIONS) as WorkflowStep[])('allows %s only from its statuses, with INVALID_TRANSITION otherwise', (step) => {
    for (const from of ARTICLE_STATUSES) {
      if (allowed[step].includes(from)) {
        expect(transition(step, from).to).toBe(TRANSITIONS[step].to);
      } else {
        expect(() => transition(step, from)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRANSITION', from }) }));
      }
    }
  });

  it('separates writing and publishing', () => {
    expect(TRANSITIONS.submit.requires).toBe('ARTICLE_WRITE');
    expect(TRANSITIONS.publish.requires).toBe('ARTICLE_PUBLISH');
    expect(TRANSITIONS.archive.requires).toBe('ARTICLE_PUBLISH');
    expect(editRequirement('DRAFT')).toEqual({ permission: 'ARTICLE_WRITE' });
    expect(editRequirement('PUBLISHED')).toEqual({ permission: 'ARTICLE_PUBLISH' });
    expect(editRequirement('ARCHIVED')).toHaveProperty('refused');
  });
});

describe('tagged cursors', () => {
  it('round-trips and refuses cursors of another list, tampered or malformed', () => {
    const c = encodeTaggedCursor('search', ['fp', '0.1', '00000000-0000-4000-8000-000000000000']);
    expect(decodeTaggedCursor(c, 'search', ['text', 'real', 'uuid'])).toEqual(['fp', '0.1', '00000000-0000-4000-8000-000000000000']);
    for (const bad of [encodeTaggedCursor('version', [3]), encodeTaggedCursor('search', ['fp', '1; drop', 'x']), 'not-a-cursor', `${c}=`, 'x'.repeat(600)]) {
      expect(() => decodeTaggedCursor(bad, 'search', ['text', 'real', 'uuid'])).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
  });
});
