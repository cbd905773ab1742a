import { loadConfig } from '../src/config';
import { createServices } from '../src/boot';
import { AuditBuffer } from '../src/audit/buffer';
import { statementCounter } from '../src/db/statements';
import { setLogLevel } from '../src/lib/logger';
import { buildBaseSchema } from '../src/schema';
import { startApp } from '../src/server/app';
import { ARMS, type ArmServer, type CapturedStatement, type ServerMessage } from './arms';

/**
 * One benchmark server, run as a child process so the load generator does not share its event loop.
 * Every weakened arm is assembled here, by the benchmark; the application reads no switch for it:
 * - unrestricted: the schema WITHOUT the authorization transform (no shield rules, no masking), built
 *   from buildBaseSchema(). The SQL predicates inside repositories still apply.
 * - no-audit: the served schema, with this process's audit buffer patched to keep nothing, so no
 *   audit event is written.
 * - no-rls: the served schema on a copy of the database with row-level security disabled (bench/rls.ts).
 * Over the IPC channel the parent can ask for the SQL statements of the next requests (for EXPLAIN).
 */
async function main() {
  const arm = process.env.BENCH_ARM as ArmServer;
  if (!ARMS.includes(arm)) throw new Error(`BENCH_ARM must be one of ${ARMS.join(', ')}`);
  const config = loadConfig();
  setLogLevel('error');
  if (arm === 'no-audit') {
    AuditBuffer.prototype.record = () => {};
    AuditBuffer.prototype.sensitiveRead = () => {};
    AuditBuffer.prototype.denial = () => {};
  }
  captureStatements();
  const services = await createServices(config);
  const app = await startApp(services, { port: 0, host: '127.0.0.1', schema: arm === 'unrestricted' ? buildBaseSchema() : undefined });
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
  const stop = async () => {
    await app.stop();
    await services.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

function captureStatements() {
  let captured: CapturedStatement[] | null = null;
  const count = statementCounter.logQuery.bind(statementCounter);
  statementCounter.logQuery = (query, params) => {
    captured?.push({ query, params });
    count(query, params);
  };
  process.on('message', (m: ServerMessage) => {
    if (m.type === 'capture') captured = [];
    const reply: ServerMessage = m.type === 'capture' ? { type: 'capturing' } : { type: 'captured', statements: captured ?? [] };
    if (m.type === 'collect') captured = null;
    process.send!(reply);
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
