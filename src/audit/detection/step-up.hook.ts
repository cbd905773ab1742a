import type { Tx } from '../../db/client';

/**
 * HOOK for the identity module (MFA): make the user's live sessions pass a second factor again before
 * their next sensitive operation (e.g. clear the sessions' MFA verification time). MFA does not exist on
 * this branch, so the response is recorded as NOT_AVAILABLE; when it lands, implement this and return
 * 'APPLIED' (the detection tests then expect it).
 */
export async function requireStepUp(_tx: Tx, _userId: string): Promise<'APPLIED' | 'NOT_AVAILABLE'> {
  return 'NOT_AVAILABLE';
}
