/** The servers a benchmark arm can run against (bench/serve.ts assembles each). */
export const ARMS = ['authorized', 'unrestricted', 'no-audit', 'no-rls'] as const;
export type ArmServer = (typeof ARMS)[number];

/** A statement the server ran, as drizzle logged it. */
export type CapturedStatement = { query: string; params: unknown[] };

/** Parent ↔ benchmark server messages over the IPC channel. */
export type ServerMessage =
  | { type: 'capture' }
  | { type: 'capturing' }
  | { type: 'collect' }
  | { type: 'captured'; statements: CapturedStatement[] };
