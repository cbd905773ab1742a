import { Prng } from '../../src/db/seed/dataset/prng';

/** The dataset generator's seeded PRNG (mulberry32), with what the differential test needs, so a failing case replays from its seed. */
export class Rng extends Prng {
  /** The stream of case `index` of a run: independent of the cases before it, so one case replays alone. */
  static of(seed: number, index: number): Rng {
    return new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  subset<T>(xs: readonly T[], p = 0.5): T[] {
    return xs.filter(() => this.chance(p));
  }
}
