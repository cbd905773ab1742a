import { serializeError } from './log-error';

/** Structured JSON lines on stdout/stderr; LOG_LEVEL selects what is written. */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold = ORDER[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? ORDER.info;

export function setLogLevel(level: Level | 'silent'): void {
  threshold = ORDER[level];
}

/** Where lines go: warnings and errors to stderr, the rest to stdout. */
export type LogSink = (level: Level, line: string) => void;
const standardStreams: LogSink = (level, line) => (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
let sink: LogSink = standardStreams;

/** Replace the sink (tests read the lines); without an argument, back to stdout/stderr. */
export function setLogSink(next?: LogSink): void {
  sink = next ?? standardStreams;
}

// Errors anywhere in the fields, nested and in cause chains, pass through serializeError: it keeps
// what diagnoses a failure and drops the values a failed statement carried. `this[key]` is the value
// before its toJSON (GraphQLError has one, which would skip this).
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Error ? serializeError(raw) : value;
}

function write(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold) return;
  sink(level, JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, replacer));
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
