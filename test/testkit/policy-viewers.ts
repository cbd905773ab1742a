import { MODEL_PERMISSIONS, ROLE_LEVELS, type AssignmentM, type Perm, type ScopeM } from './policy-model';
import type { Rng } from './prng';
import { grantTypeOf, type ViewerSpec, type World } from './policy-world';

/** A random viewer: 1–3 roles of random permissions and clearance in random scopes, up to 4 grants (live, expired, revoked), step-up or not. */
export function randomViewer(rng: Rng, world: World): ViewerSpec {
  const scope = (): ScopeM => {
    const x = rng.next();
    if (x < 0.3) return { type: 'TENANT' };
    if (x < 0.55) return { type: 'TEAM', teamId: rng.pick(world.teams) };
    if (x < 0.75) return { type: 'SPACE', spaceId: rng.pick(world.spaces) };
    return { type: 'OWN' };
  };
  const assignments: AssignmentM[] = Array.from({ length: rng.int(1, 3) }, () => {
    const permissions = rng.subset(MODEL_PERMISSIONS, 0.4);
    return { permissions: permissions.length ? permissions : [rng.pick(MODEL_PERMISSIONS)], clearance: rng.pick(ROLE_LEVELS), scope: scope() };
  });
  const now = Date.now();
  const resourceOf = (p: Perm) => {
    const type = grantTypeOf(p);
    return type === 'Article' ? rng.pick(world.articles).id : type === 'Customer' ? rng.pick(world.customers).id : rng.pick(world.tickets).id;
  };
  const grants = Array.from({ length: rng.int(0, 4) }, () => {
    const permission = rng.pick(MODEL_PERMISSIONS);
    const x = rng.next();
    const expired = x < 0.25;
    return { permission, resourceId: resourceOf(permission), expiresAt: new Date(expired ? now - rng.int(1, 600) * 60_000 : now + 2 * 3_600_000), revoked: x > 0.9 };
  });
  return { persona: rng.int(0, world.personas.length - 1), assignments, grants, steppedUp: rng.chance(0.5) };
}
