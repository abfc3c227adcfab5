// Bundles each peer tracker from its npm package as a site would (esbuild,
// minified, one IIFE script a tracker) into OUT_DIR.
//   node build.mjs OUT_DIR
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
for (const file of readdirSync(join(here, 'entries'))) {
  await build({
    entryPoints: [join(here, 'entries', file)],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2019',
    outfile: join(out, file),
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}
