// The browser trackers side by side in one headless Chromium: our beacon and
// each peer load on the same page, with a local stub as their endpoint, and
// track the same scripted sequence: a page view, 20 clicks (each a track
// call from the button's handler), a custom event, then the page is hidden
// and closed. Per tracker and run it records what the page downloaded
// (bytes on the wire through the browser's network events, gzip as a CDN
// serves it), main-thread script time of loading and initialising (Chromium's
// ScriptDuration against the same page without a tracker) and per track
// call, long tasks, and the requests and bytes each sent to its endpoint. A
// tracker counts only if the stub received every scripted event: each event
// carries a marker, searched for in every request the stub got (bodies
// gunzipped, base64 inside them decoded).
//
//   node run.mjs OUT.json RUNS BEACON_DIST PEER_BUNDLES
// OUT.json: {"trackers": {name: {"runs": [...], "complete": bool, ...}}}
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../../..');
const [out, runsArg, beaconDist, peerDir] = process.argv.slice(2);
const runs = Number(runsArg);
const require = createRequire(join(root, 'package.json'));
const { chromium } = require('playwright-core');

const clicks = 20;
const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const markers = ['pvmarkz', ...Array.from({ length: clicks }, (_, i) => `m${String(i).padStart(2, '0')}z`), 'custommarkz'];

// The page: the same for every tracker but for the script that loads it.
function page(tracker) {
  const buttons = Array.from({ length: clicks }, (_, i) =>
    `<button id="b${i}" onclick="benchTrack('click', 'm${String(i).padStart(2, '0')}z')">Item ${i}</button>`).join('\n');
  const load = tracker === 'clickstream'
    ? `<script>
!function(w,d,u,s){w.clickstream=w.clickstream||function(){(w.clickstream.q=w.clickstream.q||[]).push(arguments)};s=d.createElement('script');s.async=1;s.src=u;d.head.appendChild(s)}(window,document,'/sdk/clickstream.js');
clickstream('init', {site: 'bench', clicks: false, scroll: false, hovers: false});
window.peer = { track(name, label) { clickstream('track', name, { label }); } };
</script>`
    : `<script src="/peer/${tracker}.js"></script><script>peer.init(location.origin);</script>`;
  const track = tracker === 'none' ? '' : load;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bench shop</title>
<script>
window.benchTrackTimes = [];
window.benchTrack = (name, label) => {
  const t = performance.now();
  if (window.peer) window.peer.track(name, label);
  benchTrackTimes.push(performance.now() - t);
};
window.benchLongTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) benchLongTasks.push(e.duration); })
  .observe({ type: 'longtask', buffered: true });
</script>
${track}
</head><body><h1>Bench shop</h1>
${buttons}
</body></html>`;
}

// What the stub answers the peers' settings requests with, so each really
// starts and sends to the stub.
function settings(path, origin) {
  const host = origin.replace(/^https?:\/\//, '');
  if (path.startsWith('/v1/projects/')) {  // Segment
    return { integrations: { 'Segment.io': { apiKey: 'bench', apiHost: `${host}/v1`, protocol: 'http' } },
             plan: { track: { __default: { enabled: true } } }, edgeFunction: {}, analyticsNextEnabled: true,
             middlewareSettings: {}, enabledMiddleware: {}, metrics: { sampleRate: 0 }, legacyVideoPluginsEnabled: false,
             remotePlugins: [] };
  }
  if (path.startsWith('/sourceConfig')) {  // RudderStack
    return { isHosted: true, source: { id: 'bench', name: 'bench', writeKey: 'bench', enabled: true,
             workspaceId: 'bench', config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
             destinations: [] } };
  }
  if (path.startsWith('/v1/config')) return { session_timeout_s: 1800, flush_interval_ms: 3000 };  // ours
  if (path.startsWith('/flags') || path.startsWith('/decide')) {  // PostHog
    return { featureFlags: {}, flags: {}, errorsWhileComputingFlags: false, sessionRecording: false,
             supportedCompression: ['gzip-js'], autocapture_opt_out: true, capturePerformance: false, surveys: false };
  }
  if (path.startsWith('/array/')) return {};
  return null;
}

function decodeAll(buffer, url) {
  let text = '';
  try { text = gunzipSync(buffer).toString('latin1'); } catch { text = buffer.toString('latin1'); }
  text += ' ' + decodeURIComponent(url.replace(/\+/g, ' '));
  try { text += ' ' + decodeURIComponent(text.replace(/\+/g, ' ')); } catch { /* not URL-encoded */ }
  for (const m of text.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
    text += ' ' + Buffer.from(m.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
  }
  return text;
}

function startStub() {
  const state = { requests: [] };
  const mime = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://stub');
      const origin = `http://${req.headers.host}`;
      const cors = { 'Access-Control-Allow-Origin': req.headers.origin ?? '*', 'Access-Control-Allow-Credentials': 'true',
                     'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
                     'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' };
      const asset = (file) => {
        const ext = file.slice(file.lastIndexOf('.'));
        res.writeHead(200, { ...cors, 'Content-Type': mime[ext] ?? 'application/octet-stream', 'Content-Encoding': 'gzip',
                             'Cache-Control': 'no-store' });
        res.end(gzipSync(readFileSync(file), { level: 9 }));
      };
      if (process.env.BENCH_DEBUG) process.stderr.write(`    ${req.method} ${req.url} ${body.length}\n`);
      if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
      if (url.pathname === '/favicon.ico') { res.writeHead(404); res.end(); return; }
      if (url.pathname.startsWith('/page/')) {
        res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
        res.end(page(url.pathname.slice(6)));
        return;
      }
      if (url.pathname.startsWith('/peer/') && existsSync(join(peerDir, url.pathname.slice(6)))) {
        asset(join(peerDir, url.pathname.slice(6)));
        return;
      }
      if (url.pathname.startsWith('/sdk/') && existsSync(join(beaconDist, url.pathname.slice(5)))) {
        asset(join(beaconDist, url.pathname.slice(5)));
        return;
      }
      const answer = req.method === 'GET' ? settings(url.pathname, origin) : null;
      if (answer) {
        res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answer));
        return;
      }
      if (req.method === 'GET' && (url.pathname.startsWith('/static/') || url.pathname.startsWith('/rs/'))) {
        res.writeHead(404, cors);  // optional extensions and plugins: not offered
        res.end();
        return;
      }
      // Anything else is a send: recorded with what it carried.
      state.requests.push({ method: req.method, path: url.pathname, bytes: body.length + req.url.length,
                            text: decodeAll(body, req.url) });
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
      res.end('{"status":1}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state })));
}

async function metrics(cdp) {
  const { metrics: m } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(m.map((x) => [x.name, x.value]));
}

async function visit(browser, base, stub, tracker) {
  // A desktop Chrome's user agent: some trackers drop events from HeadlessChrome.
  const context = await browser.newContext({ userAgent });
  const pg = await context.newPage();
  if (process.env.BENCH_DEBUG) pg.on('console', (m) => process.stderr.write(`    console: ${m.text().slice(0, 300)}\n`));
  const cdp = await context.newCDPSession(pg);
  await cdp.send('Performance.enable');
  await cdp.send('Network.enable');
  const downloaded = new Map();
  cdp.on('Network.responseReceived', (e) => downloaded.set(e.requestId, { url: e.response.url, bytes: 0 }));
  cdp.on('Network.loadingFinished', (e) => {
    const r = downloaded.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  stub.state.requests = [];
  await pg.goto(`${base}/page/${tracker}?pv=pvmarkz`, { waitUntil: 'load' });
  await pg.waitForTimeout(1500);  // the tracker settles: settings fetched, first sends
  const afterInit = await metrics(cdp);
  for (let i = 0; i < clicks; i++) await pg.click(`#b${i}`);
  await pg.evaluate(() => benchTrack('custommarkz', 'custommarkz'));
  if (process.env.BENCH_LINGER) await pg.waitForTimeout(Number(process.env.BENCH_LINGER));
  const afterTrack = await metrics(cdp);
  const inPage = await pg.evaluate(() => ({ trackTimes: benchTrackTimes, longTasks: benchLongTasks }));
  // Hidden, then gone: what trackers flush on pagehide/visibilitychange.
  await pg.close({ runBeforeUnload: true });
  await new Promise((r) => setTimeout(r, 2000));
  await context.close();
  const assets = [...downloaded.values()].filter((r) => !r.url.includes('/page/'));
  const sends = stub.state.requests;
  const text = sends.map((r) => r.text).join('\n');
  return {
    downloaded_bytes: assets.reduce((s, r) => s + r.bytes, 0),
    downloads: assets.map((r) => ({ url: r.url.replace(base, ''), bytes: r.bytes })),
    script_ms_init: afterInit.ScriptDuration * 1000,
    task_ms_init: afterInit.TaskDuration * 1000,
    script_ms_per_track: ((afterTrack.ScriptDuration - afterInit.ScriptDuration) * 1000) / (clicks + 1),
    track_call_ms: inPage.trackTimes.reduce((s, x) => s + x, 0) / Math.max(inPage.trackTimes.length, 1),
    long_tasks: inPage.longTasks.filter((d) => d > 50).length,
    requests: sends.length,
    sent_bytes: sends.reduce((s, r) => s + r.bytes, 0),
    received_markers: markers.filter((m) => text.includes(m)),
    send_paths: [...new Set(sends.map((r) => `${r.method} ${r.path}`))],
  };
}

const stub = await startStub();
const base = `http://127.0.0.1:${stub.server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const trackers = process.env.BENCH_TRACKERS?.split(',') ?? ['none', 'clickstream', 'snowplow', 'posthog', 'segment', 'rudderstack', 'plausible'];
const result = { markers: markers.length, trackers: {} };
for (let run = 0; run < runs; run++) {  // interleaved, so load on the machine hits all alike
  for (const t of trackers) {
    process.stderr.write(`  browser peers: run ${run + 1}/${runs} ${t}\n`);
    const r = await visit(browser, base, stub, t);
    (result.trackers[t] ??= { runs: [] }).runs.push(r);
  }
}
await browser.close();
stub.server.close();
for (const [name, t] of Object.entries(result.trackers)) {
  t.complete = name === 'none' || t.runs.every((r) => r.received_markers.length === markers.length);
  t.missing = [...new Set(t.runs.flatMap((r) => markers.filter((m) => !r.received_markers.includes(m))))];
}
writeFileSync(out, JSON.stringify(result, null, 1));
