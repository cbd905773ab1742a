/** Dataset sizes for `npm run seed -- --size …`; budgets in the README's Performance section are for M. */
export type DatasetSize = 'XS' | 'S' | 'M' | 'L';

export type DatasetCounts = { users: number; teams: number; spaces: number; categoriesPerSpace: number; articles: number; customers: number; tickets: number };

export const SIZES: Record<DatasetSize, DatasetCounts> = {
  XS: { users: 8, teams: 2, spaces: 2, categoriesPerSpace: 3, articles: 30, customers: 40, tickets: 60 },
  S: { users: 60, teams: 4, spaces: 4, categoriesPerSpace: 8, articles: 1_000, customers: 2_000, tickets: 5_000 },
  M: { users: 500, teams: 20, spaces: 10, categoriesPerSpace: 20, articles: 50_000, customers: 200_000, tickets: 500_000 },
  L: { users: 2_000, teams: 50, spaces: 20, categoriesPerSpace: 30, articles: 200_000, customers: 1_000_000, tickets: 2_000_000 },
};

export function parseSize(value: string | undefined): DatasetSize {
  const v = (value ?? 'S').toUpperCase();
  if (v in SIZES) return v as DatasetSize;
  throw new Error(`Unknown dataset size "${value}": use XS, S, M or L`);
}
