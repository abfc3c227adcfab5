// The dashboard end to end: the real clickstream-dashboard on topics of the
// test's own, known clean and bot events produced to them (some before the
// service starts, so it rebuilds them from the topic; some while the page is
// open, so they arrive live), and the page in Chromium: the numbers it shows
// must be the traffic's. A screenshot is kept under <build>/e2e-artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { root, build, artifacts, launch, userAgent, deleteMade, newGroup } from './harness.mjs';

const brokers = process.env.CLICKSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:19092';
const clickhouse = process.env.CLICKSTREAM_CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
const tool = process.env.CLICKSTREAM_KAFKA_TOOL ?? join(build, 'tests/support/test_kafka_tool');
const bin = process.env.CLICKSTREAM_DASHBOARD_BIN ?? join(build, 'processor/clickstream-dashboard');
const token = 'e2e-' + randomBytes(16).toString('hex');
const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
const clean = `e2e_dash_clean_${suffix}`;
const bots = `e2e_dash_bots_${suffix}`;
const site = `e2e-site-${suffix}`;
const golden = JSON.parse(readFileSync(join(root, 'docs/contracts/clean-event/web_session.json'))).at(0);

function event(visitor, type, path, extra = {}) {
  return { ...golden, site, event_id: randomUUID(), event_time_ms: Date.now(), anonymous_id: visitor,
    session_id: 's-' + visitor, type, url_path: path, channel: 'direct', referrer_medium: 'none',
    referrer_host: '', utm_campaign: '', ...extra };
}
function produce(topic, events) {
  execFileSync(tool, [brokers, 'produce-timed', topic],
    { input: events.map((e) => JSON.stringify(e)).join('\n') + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
}

let dashboard, base, browser, log = '';
const database = `e2e_dash_${suffix}`;
const now = Date.now();
const t = (s) => now - s * 1000;

async function ch(sql, body = '', database_ = database) {
  const url = `${clickhouse}/?database=${database_}&input_format_skip_unknown_fields=1&query=${encodeURIComponent(sql)}`;
  const r = await fetch(url, { method: 'POST', body });
  if (!r.ok) throw new Error(sql + ': ' + await r.text());
}

// The store the Analysis and History tabs read: the same visits as rows of
// events and sessions, as the sessionize stage writes them.
async function seedStore(events) {
  await ch('CREATE DATABASE ' + database, '', 'default');
  execFileSync(join(root, 'scripts/migrate'), ['--database', database, '--url', clickhouse], { stdio: 'ignore' });
  await ch('INSERT INTO events FORMAT JSONEachRow', events.map((e) => JSON.stringify(e)).join('\n'));
  const date = new Date(now).toISOString().slice(0, 10);
  const session = (v, pages, extra = {}) => ({ site, session_id: 's-' + v, segment: 0, version: 2,
    anonymous_id: v, start_ms: t(60), end_ms: t(1), start_date: date, duration_ms: 59000, events: pages.length,
    page_views: pages.length, pages, landing_page: pages[0], exit_page: pages.at(-1), channel: 'direct',
    bounce: pages.length === 1 ? 1 : 0, segment_index: 0, ...extra });
  const sessions = [
    session('v1', ['/home', '/product', '/thanks'], { channel: 'search', conversions: 1, converted: 1, revenue: 25, currency: 'EUR' }),
    session('v2', ['/home']),
    session('v3', ['/home'], { channel: 'email', utm_campaign: 'spring' }),
    session('v4', ['/product']),
  ];
  await ch('INSERT INTO sessions FORMAT JSONEachRow', sessions.map((x) => JSON.stringify(x)).join('\n'));
}

before(async () => {
  execFileSync(tool, [brokers, 'create', clean, '2']);
  execFileSync(tool, [brokers, 'create', bots, '1']);
  // Before the service starts: 4 visitors, 5 page views, a click, a
  // conversion of 25 EUR; 1 bot page view.
  const visits = [
    event('v1', 'page_view', '/home', { channel: 'search', referrer_medium: 'search', referrer_host: 'www.google.com', event_time_ms: t(30) }),
    event('v1', 'page_view', '/product', { event_time_ms: t(20) }),
    event('v2', 'page_view', '/home', { event_time_ms: t(25) }),
    event('v3', 'page_view', '/home', { utm_campaign: 'spring', event_time_ms: t(25) }),
    event('v4', 'page_view', '/product', { event_time_ms: t(25) }),
    event('v2', 'click', '/home', { event_time_ms: t(15) }),
    event('v1', 'conversion', '/thanks', { value: 25, currency: 'EUR', name: 'purchase', event_time_ms: t(10) }),
  ];
  produce(clean, visits);
  await seedStore(visits);
  produce(bots, [event('crawler', 'page_view', '/home', { is_bot: true, bot_rule: 'crawler_user_agent' })]);

  const dir = mkdtempSync(join(tmpdir(), 'cs-e2e-dash-'));
  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'dashboard.json'), JSON.stringify({
    kafka: { brokers, group_id: newGroup('e2e_dash'), clean_topic: clean, bots_topic: bots },
    clickhouse: { url: clickhouse, database },
    auth: { token_file: join(dir, 'token') },
    web: { dir: join(root, 'processor/web/dashboard'), uplot_dir: join(root, 'node_modules/uplot/dist') },
    http: { port: 0 },
  }));
  dashboard = spawn(bin, ['--config', join(dir, 'dashboard.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((resolve, reject) => {
    dashboard.stderr.on('data', (b) => {
      log += b;
      for (const line of log.split('\n')) {
        try { const j = JSON.parse(line); if (j.event === 'listening') resolve(`http://127.0.0.1:${j.http_port}`); } catch {}
      }
    });
    dashboard.on('exit', (c) => reject(new Error('dashboard exited ' + c + '\n' + log)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await ch('DROP DATABASE IF EXISTS ' + database, '', 'default').catch(() => {});
  if (dashboard && dashboard.exitCode === null) {
    const gone = new Promise((r) => dashboard.once('exit', r));
    dashboard.kill('SIGTERM');
    await gone;
  }
  deleteMade(clean, bots);
});

const text = (page, sel) => page.locator(sel).innerText();
async function rows(page, id) {
  return page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
}

test('a wrong token is refused, the right one opens the dashboard', async () => {
  const context = await browser.newContext({ userAgent });
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.fill('#token', 'not-the-token');
  await page.click('#login button');
  await page.locator('#login-error').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#login button');
  await page.locator('#app').waitFor({ state: 'visible' });
  await page.locator('#login').waitFor({ state: 'hidden' });
  await context.close();
});

test('the page shows the traffic on the topics, and what arrives while it is open', async () => {
  const context = await browser.newContext({ userAgent, viewport: { width: 1400, height: 1600 } });
  const page = await context.newPage();
  const failed = [];
  page.on('requestfailed', (r) => { if (!r.url().includes('/api/live')) failed.push(r.url()); });
  page.on('pageerror', (e) => failed.push(String(e)));
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login button');
  await page.waitForFunction((s) => document.getElementById('site').value === s, site, { timeout: 30000 });

  // Rebuilt from the topics at start-up.
  await page.waitForFunction(() => document.getElementById('total-events').textContent === '7', null, { timeout: 30000 });
  assert.equal(await text(page, '#active-visitors'), '4');
  assert.equal(await text(page, '#total-views'), '5');
  assert.equal(await text(page, '#conversions'), '1');
  assert.equal(await text(page, '#revenue'), 'EUR 25.00');
  assert.equal(await text(page, '#bot-share'), '12.5 %');   // 1 of 8
  assert.deepEqual(await rows(page, 'top-pages'), [['/home', '3'], ['/product', '2']]);
  assert.deepEqual(await rows(page, 'top-campaigns'), [['spring', '1']]);
  assert.deepEqual(await rows(page, 'top-referrers'), [['www.google.com', '1']]);
  assert.equal((await rows(page, 'feed')).length, 8);

  // Live, with no reload: a new visitor's page views and a bot.
  const before = await page.evaluate(() => window.dashboard.updates);
  produce(clean, [event('v5', 'page_view', '/live'), event('v5', 'page_view', '/home')]);
  produce(bots, [event('crawler', 'page_view', '/home', { is_bot: true, bot_rule: 'crawler_user_agent' })]);
  await page.waitForFunction(() => document.getElementById('total-events').textContent === '9' &&
    document.getElementById('total-bots').textContent.startsWith('2 '), null, { timeout: 30000 });
  assert.ok(await page.evaluate(() => window.dashboard.updates) > before);
  assert.equal(await text(page, '#active-visitors'), '5');
  assert.equal(await text(page, '#total-views'), '7');
  assert.equal(await text(page, '#bot-share'), '18.2 %');   // 2 of 11
  assert.deepEqual(await rows(page, 'top-pages'), [['/home', '4'], ['/product', '2'], ['/live', '1']]);
  const feed = await rows(page, 'feed');
  assert.equal(feed.length, 11);
  assert.ok(feed.some((r) => r[2] === '/live'), JSON.stringify(feed));
  // The charts are drawn: one uPlot canvas each.
  assert.equal(await page.locator('#live .uplot canvas').count(), 3);
  assert.deepEqual(failed, []);
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  await context.close();
});

test('the History and Analysis tabs read the store: sessions per hour, a funnel, paths and attribution', async () => {
  const context = await browser.newContext({ userAgent, viewport: { width: 1400, height: 1400 } });
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login button');
  await page.waitForFunction((s) => document.getElementById('site').value === s, site, { timeout: 30000 });

  await page.locator('#tab-history').waitFor({ state: 'visible' });
  await page.click('#tab-history');
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length > 0, null, { timeout: 30000 });
  const hours = await rows(page, 'history-table');
  assert.equal(hours.length, 1);
  assert.equal(hours[0][1], '4');           // sessions
  assert.equal(hours[0][2], '75.0 %');      // v2, v3, v4 bounced
  assert.equal(hours[0][3], '59.0 s');
  await page.screenshot({ path: join(artifacts, 'dashboard-history.png'), fullPage: true });

  await page.click('#tab-analysis');
  await page.fill('#funnel-steps', 'page:/home, page:/product, event:purchase');
  await page.click('#analysis-run');
  await page.waitForFunction(() => document.querySelectorAll('#funnel-chart .funnel-step').length === 3 &&
    document.querySelector('#funnel-chart .funnel-step').dataset.step === 'page:/home' &&
    document.querySelectorAll('#attribution-table tbody tr').length > 0 &&
    document.querySelectorAll('#path-tree li').length > 0 &&
    document.getElementById('analysis-status').textContent !== 'loading…', null, { timeout: 30000 });
  assert.equal(await text(page, '#analysis-status'), '');
  const funnel = await page.$$eval('#funnel-chart .funnel-step', (xs) => xs.map((x) => x.querySelector('.funnel-count').textContent));
  assert.match(funnel[0], /^3 sessions/);   // v1, v2, v3 viewed /home
  assert.match(funnel[1], /^1 sessions/);   // then /product: v1
  assert.match(funnel[2], /^1 sessions/);   // then the purchase
  const tree = await page.$$eval('#path-tree > ul > li', (xs) => xs.map((x) => x.dataset.page));
  assert.ok(tree.includes('/home'), JSON.stringify(tree));
  // One converting session, reached by search: every model gives search all
  // of its conversion and its 25 EUR, and the other channels nothing.
  const credit = Object.fromEntries(await page.$$eval('#attribution-table tbody tr',
    (xs) => xs.map((x) => [x.dataset.value, [...x.cells].slice(1).map((c) => c.textContent)])));
  assert.ok(credit.search.length > 0, JSON.stringify(credit));
  for (const [channel, cells] of Object.entries(credit)) {
    for (const c of cells) assert.equal(c, channel === 'search' ? '1.00 · 25.00' : '0.00 · 0.00', channel);
  }
  await page.screenshot({ path: join(artifacts, 'dashboard-analysis.png'), fullPage: true });
  await context.close();
});
