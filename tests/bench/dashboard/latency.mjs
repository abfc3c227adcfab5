// The dashboard's latency, event produced → its effect on the page: a real
// clickstream-dashboard on topics of its own, the page open in Chromium, and
// clean events produced one at a time by test_kafka_tool (a long-lived
// producer; each line acknowledged before the next). For each event the time
// from the produce call (the tool's wall clock) to the page's feed showing it
// (the page's wall clock, a MutationObserver on the feed): same machine, same
// clock. Beside it, the ceiling from the same run: bare librdkafka produce →
// consume of one message at a time (test_kafka_tool pingpong).
// Prints one JSON line: {dashboard_ms: [...], kafka_ms: [...]}.
//   node latency.mjs [events]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { root, build, launch, userAgent } from '../../e2e/harness.mjs';

const n = Number(process.argv[2] ?? 40);
const brokers = process.env.CLICKSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:19092';
const tool = process.env.CLICKSTREAM_KAFKA_TOOL ?? join(build, 'tests/support/test_kafka_tool');
const bin = process.env.CLICKSTREAM_DASHBOARD_BIN ?? join(build, 'processor/clickstream-dashboard');
const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
const clean = `bench_dash_clean_${suffix}`, bots = `bench_dash_bots_${suffix}`, ping = `bench_dash_ping_${suffix}`;
const token = randomBytes(16).toString('hex');
const site = 'bench-' + suffix;
const golden = JSON.parse(readFileSync(join(root, 'docs/contracts/clean-event/web_session.json'))).at(0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const t of [clean, bots]) execFileSync(tool, [brokers, 'create', t, '2']);
execFileSync(tool, [brokers, 'create', ping, '1']);

// The ceiling, first, while nothing else runs.
const kafka = JSON.parse(execFileSync(tool, [brokers, 'pingpong', ping, String(n)]).toString()).latencies_ms;

const dir = mkdtempSync(join(tmpdir(), 'cs-bench-dash-'));
writeFileSync(join(dir, 'dashboard.json'), JSON.stringify({
  kafka: { brokers, group_id: `bench_dash_${suffix}`, clean_topic: clean, bots_topic: bots },
  auth: { token_env: 'BENCH_DASHBOARD_TOKEN' }, http: { port: 0 }, log_level: 'warn',
}));
const dashboard = spawn(bin, ['--config', join(dir, 'dashboard.json')],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_DASHBOARD_TOKEN: token, CLICKSTREAM_LOG_LEVEL: 'info' } });
let log = '';
const base = await new Promise((resolve, reject) => {
  dashboard.stderr.on('data', (b) => {
    log += b;
    for (const line of log.split('\n')) {
      try { const j = JSON.parse(line); if (j.event === 'listening') resolve(`http://127.0.0.1:${j.http_port}`); } catch {}
    }
  });
  dashboard.on('exit', (c) => reject(new Error('dashboard exited ' + c + '\n' + log)));
});

const producer = spawn(tool, [brokers, 'produce-timed', clean], { stdio: ['pipe', 'pipe', 'inherit'] });
const acks = createInterface({ input: producer.stdout })[Symbol.asyncIterator]();
async function produce(path) {
  const e = { ...golden, site, event_time_ms: Date.now(), anonymous_id: 'b-' + path,
    session_id: 's-' + path, type: 'page_view', url_path: path };
  producer.stdin.write(JSON.stringify(e) + '\n');
  return JSON.parse((await acks.next()).value).sent_ms;
}

const browser = await launch();
const dashboardMs = [];
try {
  const page = await (await browser.newContext({ userAgent })).newPage();
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login button');
  // Warm up: the first event makes the site known to the page.
  await produce('/warm-up');
  await page.waitForFunction(() => document.querySelector('#feed tbody tr')?.dataset.path === '/warm-up', null, { timeout: 30000 });
  await page.evaluate(() => {
    window.__seen = {};
    new MutationObserver(() => {
      const p = document.querySelector('#feed tbody tr')?.dataset.path;
      if (p && !(p in window.__seen)) window.__seen[p] = Date.now();
    }).observe(document.querySelector('#feed tbody'), { childList: true });
  });
  for (let i = 0; i < n; i++) {
    const path = '/bench/' + i;
    const sent = await produce(path);
    await page.waitForFunction((p) => window.__seen[p] !== undefined, path, { timeout: 30000, polling: 10 });
    const seen = await page.evaluate((p) => window.__seen[p], path);
    dashboardMs.push(seen - sent);
    await sleep(100 + Math.random() * 200);  // off the live tick's phase
  }
} finally {
  producer.stdin.end();
  await browser.close();
  dashboard.kill('SIGTERM');
}
console.log(JSON.stringify({ dashboard_ms: dashboardMs, kafka_ms: kafka }));
