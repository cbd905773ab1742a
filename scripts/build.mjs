/**
 * `npm run build`: compile src/ to dist/ (CommonJS for Node 20.19+, with source maps), one output file
 * per source file, plus the non-TypeScript files src/ reads at run time (the common-password list).
 * esbuild transpiles each file as tsx does in development; `npm run typecheck` is the type check.
 *
 * The output folder sits directly in the project root, as src/ does: dist/schema.js finds the schema
 * in ../schema and dist/db/migrate.js the migrations in ../../drizzle, exactly as from src/.
 * `--outdir <name>` builds elsewhere in the root (the build test does, to leave dist/ alone).
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const flag = process.argv.indexOf('--outdir');
const outdir = path.resolve(root, flag > 0 ? process.argv[flag + 1] : 'dist');
if (path.dirname(outdir) !== root) {
  console.error(`--outdir must name a folder directly in ${root}: the build finds schema/ and drizzle/ relative to it`);
  process.exit(1);
}

const files = fs.readdirSync(src, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
const full = (f) => path.join(f.parentPath, f.name);
const sources = files.filter((f) => f.name.endsWith('.ts') && !f.name.endsWith('.d.ts')).map(full);
const assets = files.filter((f) => !f.name.endsWith('.ts')).map(full);

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir,
  outbase: src,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of assets) {
  const to = path.join(outdir, path.relative(src, file));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(file, to);
}
console.warn(`built ${sources.length} files into ${path.relative(root, outdir)}/`);
