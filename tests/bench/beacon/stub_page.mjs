// track() in Chromium on a page of its own, with a stub collector, to compare
// two builds of the beacon on one loaded machine (docs/beacon.md, "Sizes and
// speed"): the e2e suite's timing is one wall-clock sample of the first calls
// after a visit and moves by half from run to run. Alternate the builds:
//
//   for i in 1 2 3 4 5; do for d in <dist A> <dist B>; do
//     node tests/bench/beacon/stub_page.mjs $d; done; done
//
// Each page load prints: `first` (the first 200 calls after ready, per call),
// the fastest, 25th-percentile and median of RUNS more runs of 200 calls in
// one task, and `alone` (the mean of 100 calls, each in a task of its own),
// in µs. COI=1 serves the page cross-origin isolated (COOP and COEP
// headers), where performance.now() has a 5 µs resolution instead of 100 µs
// with jitter: `alone` then adds the median call. SPARSE=n adds n calls
// each 6 s after the last (the store's write and the batch have happened
// and the session cookie is due to roll: what a click after a pause pays),
// their mean and median, and as many Date.now() calls 6 s apart (what any
// code pays in the first task after a quiet spell). PROFILE=1 adds a CDP
// CPU profile of 10 more runs: the self time of what ran under the bridge's track(), heaviest first
// (serve the bundle's unminified clickstream.src.js in place of the main
// script with SRC=1, for names). The stub answers /v1/config and takes
// every batch with 200.
// PORT: where the stub listens on 127.0.0.1 (below the ephemeral range).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('../../..', import.meta.url).pathname;
const { chromium } = createRequire(import.meta.url)(join(root, 'node_modules/playwright-core'));
const dist = process.argv[2] ?? join(process.env.CLICKSTREAM_BUILD_DIR ?? join(root, 'build'), 'wasm-beacon/dist');
const port = +(process.env.PORT ?? 28417);
const runs = +(process.env.RUNS ?? 10);
// The page times every timer callback (the beacon's own tasks: the pump
// that gives queued calls to the core, sends and writes the store) into
// __beacon_ms; the bench's own waits use the unwrapped __timeout.
const html = `<!doctype html><html><head><title>stub</title><script>
window.__beacon_ms = 0; window.__timeout = setTimeout;
window.setTimeout = function (f, ms, a) { return __timeout(function () {
  var t = performance.now(); try { f(a); } finally { __beacon_ms += performance.now() - t; } }, ms); };
!function(w,d,u,s){w.clickstream=w.clickstream||function(){(w.clickstream.q=w.clickstream.q||[]).push(arguments)};s=d.createElement('script');s.async=1;s.src=u;d.head.appendChild(s)}(window,document,'/cs/sdk/clickstream.js');
clickstream('init', {site: 'demo'});
</script></head><body><p style="height:3000px">stub</p></body></html>`;

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://stub').pathname;
  if (process.env.COI) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  if (path.startsWith('/cs/sdk/')) {
    let f = path.slice('/cs/sdk/'.length);
    if (process.env.SRC && f === 'clickstream.main.js') f = 'clickstream.src.js';
    res.setHeader('Content-Type', f.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    return res.end(readFileSync(join(dist, f)));
  }
  if (path === '/cs/v1/config') return res.end('{"session_timeout_s":1800}');
  if (path === '/cs/v1/batch') return req.resume().on('end', () => res.end('{}'));
  res.setHeader('Content-Type', 'text/html');
  res.end(html);
});
await new Promise((r) => server.listen(port, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-blink-features=AutomationControlled'] });
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.evaluate(() => new Promise((r) => clickstream('ready', r)));
  // The caller's time per call, and the beacon's own tasks' time per call
  // (until 1.2 s after the run: the core takes queued events within a
  // second).
  const batch = () => page.evaluate(async () => {
    const b0 = __beacon_ms, t0 = performance.now();
    for (let i = 0; i < 200; i++) clickstream('track', 'bench', { i });
    const t1 = performance.now();
    await new Promise((r) => __timeout(r, 1200));
    return [(t1 - t0) / 200 * 1000, (__beacon_ms - b0) / 200 * 1000];
  });
  const [first, firstTask] = await batch();
  const times = [], tasks = [];
  for (let k = 0; k < runs; k++) {
    const [t, b] = await batch();
    times.push(t);
    tasks.push(b);
    await page.waitForTimeout(150);
  }
  times.sort((a, b) => a - b);
  tasks.sort((a, b) => a - b);
  // Calls each in a task of its own, `gap` ms apart (a track(), or a
  // Date.now() with `now`): their mean and median, and the beacon's own
  // tasks per call until 1.2 s after the last.
  const spaced = (n, gap, now) => page.evaluate(async ([n, gap, now]) => {
    const f = now ? () => Date.now() : (i) => clickstream('track', 'bench_alone', { i });
    const t = [], b0 = __beacon_ms;
    for (let i = 0; i < n; i++) {
      await new Promise((r) => __timeout(r, gap));
      const t0 = performance.now();
      f(i);
      t.push(performance.now() - t0);
    }
    await new Promise((r) => __timeout(r, 1200));
    t.sort((a, b) => a - b);
    return [t.reduce((s, v) => s + v, 0) / n * 1000, t[n >> 1] * 1000, (__beacon_ms - b0) / n * 1000];
  }, [n, gap, now]);
  const us = (v) => v.toFixed(1);
  const alone = await spaced(100, 0);
  console.log(`first ${us(first)} fastest ${us(times[0])} p25 ${us(times[times.length >> 2])} ` +
    `median ${us(times[times.length >> 1])} alone ${us(alone[0])}` +
    (process.env.COI ? ` alone_median ${us(alone[1])}` : ''));
  console.log(`  beacon's own tasks per call: first ${us(firstTask)} median run ${us(tasks[tasks.length >> 1])} ` +
    `alone ${us(alone[2])}`);
  if (process.env.SPARSE) {
    // What any code pays there: a Date.now() alone in a task 6 s after the
    // last (the first task after a quiet spell runs cold: on a shared
    // 2-core machine an empty function then took 15-765 µs).
    const idle = await spaced(+process.env.SPARSE, 6000, true);
    console.log(`a Date.now() 6 s after the last task: mean ${us(idle[0])} median ${us(idle[1])}`);
    const sparse = await spaced(+process.env.SPARSE, 6000);
    console.log(`after 6 s without events: mean ${us(sparse[0])} median ${us(sparse[1])} ` +
      `beacon's own tasks ${us(sparse[2])}`);
  }

  if (process.env.PROFILE) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 20 });
    await cdp.send('Profiler.start');
    for (let k = 0; k < 10; k++) await batch();
    const { profile } = await cdp.send('Profiler.stop');
    const node = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const underTrack = (id) => {
      for (let p = id; p != null; p = parent.get(p)) {
        const f = node.get(p).callFrame;
        if (f.functionName === 'track' && /clickstream\.(main|src)\.js/.test(f.url)) return true;
      }
      return false;
    };
    const self = new Map();
    let total = 0;
    profile.samples.forEach((id, i) => {
      if (!underTrack(id)) return;
      const f = node.get(id).callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
      total += profile.timeDeltas[i] ?? 0;
    });
    console.log(`sampled under track(): ${us(total / 2000)} us per call`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`${(v / 1000).toFixed(1).padStart(7)} ms ${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
