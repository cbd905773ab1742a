import pino from 'pino';
import { serializeError } from './log-error';
import { REDACT_PATHS } from './log-redaction';

/** JSON lines (pino) on stdout/stderr; LOG_LEVEL selects what is written. */
type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogLevel = Level | 'silent';

/** Where lines go: warnings and errors to stderr, the rest to stdout. */
export type LogSink = (level: Level, line: string) => void;
const standardStreams: LogSink = (level, line) => (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
let sink: LogSink = standardStreams;

/** Replace the sink (tests read the lines); without an argument, back to stdout/stderr. */
export function setLogSink(next?: LogSink): void {
  sink = next ?? standardStreams;
}

const LABELS: Record<number, Level> = { 10: 'debug', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };

// pino sets `lastLevel` on a stream that asks for metadata, so the sink learns the level without
// parsing the line. Writes are synchronous, as process.stdout's are: nothing is lost at process.exit.
const destination = {
  [Symbol.for('pino.metadata')]: true,
  lastLevel: 30,
  write(this: { lastLevel: number }, line: string) {
    sink(LABELS[this.lastLevel] ?? 'info', line.endsWith('\n') ? line.slice(0, -1) : line);
  },
};

const MAX_DEPTH = 4;
/**
 * Errors anywhere in the fields, nested and in cause chains, pass through serializeError: it keeps
 * what diagnoses a failure and drops the values a failed statement carried. pino's serializers see
 * only top-level keys; this walks the (small) field objects of a line.
 */
function withSerializedErrors(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.some((v) => v !== null && typeof v === 'object') ? value.map((v) => withSerializedErrors(v, depth + 1)) : value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (v === null || typeof v !== 'object') continue;
    const next = withSerializedErrors(v, depth + 1);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = next;
  }
  return out ?? value;
}

/** The process's pino logger; pino-http and request loggers are its children. */
export const rootLogger = pino(
  {
    // An unknown LOG_LEVEL stops start-up in loadConfig; here it must not throw at import.
    level: ['debug', 'info', 'warn', 'error', 'silent'].includes(process.env.LOG_LEVEL ?? '') ? process.env.LOG_LEVEL : 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label === 'fatal' ? 'error' : label === 'trace' ? 'debug' : label }),
      log: (fields) => withSerializedErrors(fields) as Record<string, unknown>,
    },
    serializers: { err: (e: unknown) => (e instanceof Error ? serializeError(e) : e) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  },
  destination,
);

export function setLogLevel(level: LogLevel): void {
  rootLogger.level = level;
}

/** The application's logging API: a message and structured fields. */
export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

/** The application API over a pino logger (the root one, or a request's child with its request id). */
export function wrapLogger(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
  };
}

// Bound to the root at call time, not creation: setLogLevel changes the root's level.
export const logger: Logger = wrapLogger(rootLogger);

/** A logger whose every line carries `requestId` (a pino child: the binding is serialised once). */
export function requestLogger(requestId: string, parent: pino.Logger = rootLogger): { log: Logger; pino: pino.Logger } {
  const child = parent.child({ requestId });
  return { log: wrapLogger(child), pino: child };
}
