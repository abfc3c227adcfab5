// Serves the demo shop as a site would: its files, with {{site}}, {{consent}}
// and {{nonce}} filled in index.html, index.html for every app route, a strict
// Content-Security-Policy when the query has `csp`, and /cs/... passed through
// to the collector (first-party serving under the collector's path prefix).
//
//   node examples/shop/serve.mjs [--port 8000] [--collector 127.0.0.1:8080] [--site demo-shop]
//
// The e2e tests import startShop() from here.
import { createServer, request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join, extname, normalize, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

// startShop({host, port} of the collector, {port, site}) → the listening
// server, with `origin` set.
export function startShop(collector, { port = 0, site = 'demo' } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/cs/')) {
      const up = request({ host: collector.host ?? '127.0.0.1', port: collector.port, path: req.url,
        method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
      up.on('error', () => { res.writeHead(502); res.end(); });
      req.pipe(up);
      return;
    }
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    let file = normalize(url.pathname).replace(/^(\.\.[/\\])+/, '');
    if (!existsSync(join(dir, file)) || file === '/' || !extname(file) || file.endsWith('.mjs')) file = '/index.html';
    let body = readFileSync(join(dir, file));
    if (file === '/index.html') {
      const nonce = randomBytes(12).toString('base64');
      body = body.toString().replaceAll('{{nonce}}', nonce)
        .replaceAll('{{site}}', url.searchParams.get('site') ?? site)
        .replaceAll('{{consent}}', url.searchParams.get('consent') ?? 'granted');
      if (url.searchParams.has('csp')) {
        headers['Content-Security-Policy'] = `default-src 'self'; script-src 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; ` +
          "connect-src 'self'; img-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'";
      }
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', ...headers });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.origin = `http://127.0.0.1:${server.address().port}`;
      resolve(server);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  if (process.argv.includes('--help')) {
    console.log('usage: node examples/shop/serve.mjs [--port 8000] [--collector 127.0.0.1:8080] [--site demo-shop]');
    process.exit(0);
  }
  const [host, cport] = arg('collector', '127.0.0.1:8080').split(':');
  startShop({ host, port: Number(cport) }, { port: Number(arg('port', 8000)), site: arg('site', 'demo-shop') })
    .then((s) => console.log(`shop on ${s.origin}`))
    .catch((e) => { console.error(`shop: ${e.message}`); process.exit(1); });
}
