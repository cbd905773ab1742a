import { loadConfig } from '../src/config';
import { createServices } from '../src/boot';
import { setLogLevel } from '../src/lib/logger';
import { buildBaseSchema } from '../src/schema';
import { startApp } from '../src/server/app';

/**
 * One benchmark server, run as a child process so the load generator does not share its event loop.
 * BENCH_ARM=unrestricted serves the schema WITHOUT the authorization transform (no shield rules, no
 * masking): assembled here, by the benchmark, from buildBaseSchema(); the application has no such switch.
 * The SQL predicates inside repositories still apply in both arms.
 */
async function main() {
  const arm = process.env.BENCH_ARM;
  if (arm !== 'authorized' && arm !== 'unrestricted') throw new Error('BENCH_ARM must be authorized or unrestricted');
  const config = loadConfig();
  setLogLevel('error');
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
