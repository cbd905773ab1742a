import { probe } from './load';
import type { ProbeServer } from './servers';
import { diffCounts, type WireCounts } from './wire';

export type ProbeResult = Awaited<ReturnType<typeof probe>> & { wire: WireCounts };

const WARM_UP = 5;
const COUNTED = 3;

/**
 * One request's counts, from the arm's probe server (never the measured one): statements and rule
 * evaluations as the server reports them, and what went over the wire to PostgreSQL. The request is
 * sent a few times first, so the pool's connections exist and have prepared what they prepare, then
 * counted three times; the wire figures are the least of those three, because a background job of the
 * server can only add to them. `body` may give each request its own body (S4 sends a new title each
 * time: the same one again would update nothing, yet be audited).
 */
export async function probeCounts(server: ProbeServer, token: string, body: string | (() => string)): Promise<ProbeResult> {
  const next = typeof body === 'string' ? () => body : body;
  for (let i = 0; i < WARM_UP; i++) await probe(server.url, token, next());
  let best: ProbeResult | undefined;
  for (let i = 0; i < COUNTED; i++) {
    const before = server.wire();
    const result = await probe(server.url, token, next());
    const wire = diffCounts(server.wire(), before);
    if (!best || wire.roundTrips < best.wire.roundTrips) best = { ...result, wire };
  }
  return best!;
}
