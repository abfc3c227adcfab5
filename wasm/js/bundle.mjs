// Builds the beacon's scripts: loader.js, minified with terser, into
// clickstream.js (the script the snippet adds: what a page downloads before
// it can track); core.js, tracker.js and autotrack.js inside one function
// (so nothing leaks into the page's globals but window.clickstream),
// minified into clickstream.main.js (the loader adds it); the same,
// unminified, as clickstream.src.js for reading and debugging; pixel.js,
// minified, as clickstream.pixel.js (fetched only where WebAssembly cannot
// run).
// Copies the snippet.
//   node bundle.mjs <js dir> <dist dir> <node_modules dir>
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const [jsDir, dist, nodeModules] = process.argv.slice(2);
const { minify } = createRequire(import.meta.url)(resolve(nodeModules, 'terser'));

const parts = ['core.js', 'tracker.js', 'autotrack.js'].map((f) => readFileSync(join(jsDir, f), 'utf8')
  .replace(/^if \(typeof module == 'object'\) module.exports = csCore;\n?/m, ''));
const source = `/* clickstream beacon */\n(function () {\n'use strict';\n${parts.join('\n')}})();\n`;
const min = await minify(source, {
  compress: { passes: 3, unsafe_arrows: false },
  mangle: true,
  // No preamble comment: 13 bytes gzipped of what every page downloads.
  format: { comments: false },
});
if (!min.code) throw new Error('terser produced nothing');
writeFileSync(join(dist, 'clickstream.src.js'), source);
writeFileSync(join(dist, 'clickstream.main.js'), min.code + '\n');
for (const [from, to] of [['loader.js', 'clickstream.js'], ['pixel.js', 'clickstream.pixel.js']]) {
  const part = await minify(readFileSync(join(jsDir, from), 'utf8'), {
    compress: { passes: 3 }, mangle: true, format: { comments: false },
  });
  if (!part.code) throw new Error(`terser produced nothing for ${from}`);
  writeFileSync(join(dist, to), part.code + '\n');
}
copyFileSync(join(jsDir, 'snippet.html'), join(dist, 'snippet.html'));
