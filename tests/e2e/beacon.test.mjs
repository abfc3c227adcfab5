// The browser beacon end to end: the example shop in Chromium loads the beacon
// through its snippet, first-party through the collector's /cs prefix; the
// events arrive on the raw topic of the test's own through the real collector
// and Kafka.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newTopic, deleteMade, readTopic, waitForMessages, eventsOf, Collector, Enrich, startShop, launch, openShop,
  anonymousId, userAgent, artifacts, root } from './harness.mjs';

let topic, collector, shop, browser;
const sites = () => ({
  demo: { origins: [shop.origin], session_timeout_s: 1800 },
  short: { origins: [shop.origin], session_timeout_s: 4 },
});

before(async () => {
  topic = newTopic('e2e_beacon');
  collector = new Collector(topic, {});
  shop = await startShop(collector);
  collector.config.sites = sites();
  await collector.start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await collector?.stop();
  shop?.close();
  deleteMade();
});

const person = () => browser.newContext({ userAgent, viewport: { width: 1280, height: 720 }, timezoneId: 'Europe/Lisbon' });
const hasAll = (aid, pred) => (msgs) => pred(eventsOf(msgs, aid));

test('a shopping visit: page views, SPA navigations, clicks, scroll, hover, a custom event and a conversion', async () => {
  const context = await person();
  // Long tasks (over 50 ms, whatever their cause) from the page's start, for
  // the timing below; and the beacon's scripts in long animation frames
  // (Chromium names the script each task or promise callback ran from, its
  // own time apart: over 50 ms, it is a long task the beacon caused).
  await context.addInitScript(() => {
    window.__long_tasks = [];
    window.__beacon_scripts = [];
    try {
      new PerformanceObserver((l) => { for (const e of l.getEntries()) __long_tasks.push([e.startTime, e.duration]); })
        .observe({ type: 'longtask', buffered: true });
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) {
          for (const s of e.scripts) if (/\/sdk\/clickstream/.test(s.sourceURL)) __beacon_scripts.push(s.duration);
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch (e) {}
  });
  const page = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  assert.ok(aid);
  await page.click('a.product-link >> nth=0');              // SPA navigation to /p/mug
  await page.waitForURL('**/p/mug');
  await page.hover('.size-guide');                           // dwell over a marked element
  await page.waitForTimeout(1200);
  await page.mouse.move(0, 0);
  await page.evaluate(() => new Promise((r) => {
    window.addEventListener('scroll', () => requestAnimationFrame(r), { once: true });
    window.scrollTo(0, document.documentElement.scrollHeight);
  }));
  await page.click('button.add');                           // data-cs-track button + custom event
  await page.click('#cart-link');
  await page.click('a.to-checkout');
  await page.click('#pay');                                  // conversion
  await page.waitForURL('**/thanks');
  await page.goBack();                                       // popstate
  await page.screenshot({ path: join(artifacts, 'shop.png'), fullPage: false });

  // Speed, reported (not asserted): init and one track() on the main thread.
  // track_us: 200 calls in one task; track_alone_us: one call per task (what
  // a click pays), the mean over 200 tasks, with their median and 90th
  // percentile: the shop is cross-origin isolated (COOP and COEP), so
  // performance.now() steps by 5 µs and each call has its own reading. The
  // mean carries the tail (the first call after the round's pause runs
  // cold, 1-3 ms), the median what a call usually costs.
  // track() queues the event; the core takes it in a task of the beacon's
  // own, within a second. *_own_us, from a second round of the same calls:
  // the time of the beacon's own tasks per event (every timer callback armed
  // in that round and every answer to a batch it sent, timed by wrappers
  // around setTimeout and fetch: the core taking the events, the pump's
  // sends, the store's writes), over the 200 calls and the 1.2 s after
  // them, and over the lone calls and the 1.2 s after them. The wrappers
  // are not in place in the first round: the first call of a burst arms a
  // timer, and would pay for the wrapper. There, and from the page's start,
  // the long animation frames name the beacon's long tasks (their scripts
  // from /sdk/): beacon_long_tasks, longest_beacon_script_ms.
  const timing = await page.evaluate(async () => {
    const timeout = window.setTimeout, wait = (ms) => new Promise((r) => timeout(r, ms)), start = performance.now();
    let own = 0, longestOwn = 0;
    // 200 calls of f, each alone in a task of its own: their mean, median
    // and 90th percentile, in µs.
    const alone = async (f) => {
      const us = [];
      for (let i = 0; i < 200; i++) {
        await wait(0);
        const t = performance.now();
        f(i);
        us.push((performance.now() - t) * 1000);
      }
      const sorted = [...us].sort((a, b) => a - b);
      return { mean: us.reduce((a, b) => a + b) / us.length, median: sorted[100], p90: sorted[180] };
    };
    const round = async (name) => {
      const n = 200, t0 = performance.now();
      for (let i = 0; i < n; i++) clickstream('track', name, { i });
      const t1 = performance.now();
      await wait(1200);
      const burstOwn = own;
      const lone = await alone((i) => clickstream('track', name + '_alone', { i }));
      await wait(1200);
      return { burst: (t1 - t0) / n * 1000, alone: lone, burstOwn: burstOwn / n * 1000,
        aloneOwn: (own - burstOwn) / 200 * 1000 };
    };
    // The same loop around a Date.now(): what the first code of a task costs
    // on this page and machine, measured in the same run, for the lone
    // figure to be read against.
    const floor = await alone(() => Date.now());
    const first = await round('bench');
    // Timed: a callback of the beacon's, run as a task of its own.
    const timed = (f) => f && function () {
      const t = performance.now();
      try { return f.apply(this, arguments); } finally {
        const d = performance.now() - t;
        own += d;
        longestOwn = Math.max(longestOwn, d);
      }
    };
    const fetch = window.fetch;
    window.setTimeout = (f, ms, ...a) => timeout(timed(f), ms, ...a);
    // A batch's answer runs the pump too (its then callbacks).
    window.fetch = function () {
      const p = fetch.apply(this, arguments);
      return { then: (ok, failed) => p.then(timed(ok), timed(failed)) };
    };
    const second = await round('bench_own');
    window.setTimeout = timeout;
    window.fetch = fetch;
    await wait(100);
    const long = (from) => __long_tasks.filter((t) => t[0] >= from).map((t) => t[1]);
    return { long_tasks: long(0).length, longest_task_ms: Math.max(0, ...long(0)),
      beacon_long_tasks: __beacon_scripts.filter((d) => d > 50).length,
      longest_beacon_script_ms: Math.max(0, ...__beacon_scripts),
      long_tasks_in_rounds: long(start).length, longest_own_task_ms: longestOwn,
      date_now_alone_us: floor.mean, date_now_alone_median_us: floor.median,
      init_ms: clickstream.api.initMs, ready_ms: clickstream.api.readyMs,
      track_us: first.burst, track_alone_us: first.alone.mean, track_alone_median_us: first.alone.median,
      track_alone_p90_us: first.alone.p90,
      track_own_us: second.burstOwn, track_alone_own_us: second.aloneOwn };
  });
  writeFileSync(join(artifacts, 'beacon-timing.json'), JSON.stringify(timing));
  console.log('beacon timing', JSON.stringify(timing));
  await page.evaluate(() => clickstream('flush'));

  const msgs = await waitForMessages(topic, hasAll(aid, (ev) =>
    ev.some((e) => e.type === 'conversion') && ev.filter((e) => e.name === 'bench').length === 200 &&
    ev.filter((e) => e.name === 'bench_alone').length === 200 &&
    ev.filter((e) => e.type === 'page_view').length >= 6));
  const ev = eventsOf(msgs, aid);
  const pages = ev.filter((e) => e.type === 'page_view').map((e) => new URL(e.url).pathname);
  assert.deepEqual(pages.slice(0, 6), ['/', '/p/mug', '/cart', '/checkout', '/thanks', '/checkout']);
  const pv = ev.filter((e) => e.type === 'page_view');
  assert.equal(pv[1].referrer, shop.origin + '/', 'an SPA page view refers to the previous view');
  assert.equal(pv[1].title, 'Blue mug — Demo shop');

  const click = ev.find((e) => e.type === 'click' && e.element.selector.includes('add-to-cart'));
  assert.deepEqual(click.element, { selector: 'button[data-cs-track="add-to-cart"].add', text: 'Add to cart' });
  const link = ev.find((e) => e.type === 'click' && e.element.selector === 'a.product-link');
  assert.equal(link.element.href, shop.origin + '/p/mug');
  assert.equal(link.element.outbound, false);
  assert.equal(link.element.text, 'Blue mug');

  const depths = ev.filter((e) => e.type === 'scroll' && e.url.endsWith('/p/mug')).map((e) => e.depth);
  assert.deepEqual(depths, [25, 50, 75, 100], 'each milestone once per page view');
  const hover = ev.find((e) => e.type === 'hover');
  assert.equal(hover.element.selector, 'p.size-guide');
  assert.equal(new URL(hover.url).pathname, '/p/mug');

  const added = ev.find((e) => e.type === 'custom' && e.name === 'add_to_cart');
  assert.deepEqual(added.props, { sku: 'mug', price: 12.5 });
  const conv = ev.find((e) => e.type === 'conversion');
  assert.equal(conv.name, 'purchase');
  assert.equal(conv.value, 12.5);
  assert.equal(conv.currency, 'EUR');
  assert.deepEqual(conv.props, { items: 1 });

  // One session, seq 1..n without gaps, the page's context.
  assert.equal(new Set(ev.map((e) => e.session_id)).size, 1);
  const seqs = [...new Set(ev.map((e) => e.seq))].sort((a, b) => a - b);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
  const ctx = ev[0].context;
  assert.equal(ctx.platform, 'web');
  assert.equal(ctx.webdriver, false);
  assert.deepEqual(ctx.viewport, { w: 1280, h: 720 });
  assert.equal(ctx.session_timeout_s, 1800);
  assert.match(ctx.tab_id, /^[0-9a-z]+$/);
  assert.equal(ev[0].headers.user_agent ?? ev[0].headers['user-agent'] ?? userAgent, userAgent);
  // The browser's zone (Temporal's, in Chromium), and the SDK's name and
  // version as the core was built with them.
  assert.equal(ctx.time_zone, 'Europe/Lisbon');
  const version = /CLICKSTREAM_SDK_VERSION "([^"]+)"/.exec(
    readFileSync(join(root, 'sdk/include/clickstream/version.h'), 'utf8'))[1];
  assert.deepEqual(msgs.find((m) => m.batch?.context.anonymous_id === aid).batch.sdk,
    { name: 'clickstream-web', version });
  await context.close();
});

test('the beacon\'s scripts and wasm come gzipped, and what the page downloaded is recorded', async () => {
  // What a first visit fetches from the collector's /sdk/ (the snippet is
  // part of the page itself): each response compressed, and its size on the
  // wire as Chromium counted it, for tests/bench/beacon/run.
  const context = await person();
  const page = await context.newPage();
  const sdk = [];
  page.on('requestfinished', (request) => {
    if (new URL(request.url()).pathname.includes('/sdk/')) sdk.push(request);
  });
  await page.goto(shop.origin + '/');
  await page.evaluate(() => new Promise((r) => clickstream('ready', r)));
  const files = {};
  for (const request of sdk) {
    const response = await request.response();
    const name = new URL(request.url()).pathname.split('/').pop();
    assert.equal(response.status(), 200, name);
    assert.equal(response.headers()['content-encoding'], 'gzip', name + ' is sent gzipped');
    files[name] = (await request.sizes()).responseBodySize;
  }
  assert.deepEqual(Object.keys(files).sort(), ['clickstream.js', 'clickstream.main.js', 'clickstream.wasm']);
  for (const [name, bytes] of Object.entries(files)) assert.ok(bytes > 0, name);
  writeFileSync(join(artifacts, 'beacon-download.json'), JSON.stringify(files));
  await context.close();
});

test('where Temporal is missing the time zone comes from Intl', async () => {
  const context = await person();
  await context.addInitScript(() => { delete window.Temporal; });
  const page = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  await page.evaluate(() => clickstream('flush'));
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.type === 'page_view')));
  assert.equal(eventsOf(msgs, aid)[0].context.time_zone, 'Europe/Lisbon');
  await context.close();
});

test('closing the tab sends what is queued with sendBeacon', async () => {
  const context = await person();
  const page = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  await page.evaluate(() => clickstream('track', 'last_words'));
  await page.close({ runBeforeUnload: true });
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'last_words')));
  const m = msgs.find((x) => x.batch?.events.some((e) => e.name === 'last_words'));
  // sendBeacon sends a string as text/plain;charset=UTF-8; fetch here sends text/plain.
  const type = Object.entries(m.headers).find(([k]) => /content.?type/i.test(k))?.[1];
  assert.match(type, /text\/plain;charset=utf-8/i);
  await context.close();
});

test('with the collector stopped events wait, and arrive after it returns and the page reloads', async () => {
  const context = await person();
  const page = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.type === 'page_view')));
  await collector.stop();
  await page.evaluate(() => { clickstream('track', 'while_down'); clickstream('flush'); });
  // The send failed (the proxy answered 502) and the event stays stored.
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('cs.q.') &&
    localStorage.getItem(k).includes('while_down')));
  await page.waitForFunction(() => clickstream.api && true);
  await collector.start();
  await page.reload();
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'while_down')));
  assert.equal(eventsOf(msgs, aid).filter((e) => e.name === 'while_down').length >= 1, true);
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('cs.q.') &&
    localStorage.getItem(k).includes('while_down')));
  await context.close();
});

test('an event keeps the time and page of its call, and its place among the commands', async () => {
  // The core takes a tracked event in a task of the beacon's own, after the
  // caller's: what the event records is still the moment of the call.
  const context = await person();
  const page = await openShop(context, shop.origin + '/');
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const aid = await anonymousId(context);
  const at = await page.evaluate(() => {
    const at = Date.now();
    // Refused when the core takes it, and alone: nothing thrown, the queue
    // goes on.
    clickstream('track', { toString() { throw new Error('a name that throws'); } });
    clickstream('track', 'queued');
    history.pushState({}, '', '/cart');  // the app moves on in the same task
    while (Date.now() < at + 300);       // and holds the main thread
    clickstream('reset');                // a new anonymous id from here on
    clickstream('track', 'after_reset');
    clickstream('flush');
    return at;
  });
  const msgs = await waitForMessages(topic, (all) => eventsOf(all).some((e) => e.name === 'after_reset' &&
    e.context.anonymous_id !== aid) && eventsOf(all, aid).some((e) => e.name === 'queued'));
  const queued = eventsOf(msgs, aid).find((e) => e.name === 'queued');
  const later = eventsOf(msgs).find((e) => e.name === 'after_reset' && e.context.anonymous_id !== aid);
  assert.ok(queued.ts >= at && queued.ts < at + 300, `made at ${at}, stamped ${queued.ts}`);
  assert.ok(later.ts >= at + 300, `made after ${at + 300}, stamped ${later.ts}`);
  assert.equal(new URL(queued.url).pathname, '/');
  assert.equal(new URL(later.url).pathname, '/cart');
  assert.equal(eventsOf(msgs, aid).filter((e) => e.name === 'after_reset').length, 0, 'tracked after the reset');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the session id changes after the site timeout, and not before', async () => {
  const context = await person();
  const page = await openShop(context, shop.origin + '/?site=short');
  const aid = await anonymousId(context);
  // The site's timeout (4 s) comes from /v1/config.
  await page.waitForFunction(() => localStorage.getItem('cs.session_timeout_s') === '4');
  await page.evaluate(() => clickstream('track', 'first'));
  const cookie = (await context.cookies()).find((c) => c.name === 'cs_sid');
  assert.ok(cookie.expires - Date.now() / 1000 <= 5, 'the session cookie lives as long as the timeout');
  assert.equal(cookie.sameSite, 'Lax');
  await page.waitForTimeout(2500);
  await page.evaluate(() => clickstream('track', 'within'));
  await page.waitForTimeout(2500);
  await page.evaluate(() => clickstream('track', 'still_within'));
  await page.waitForTimeout(4500);
  await page.evaluate(() => { clickstream('track', 'after'); clickstream('flush'); });
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'after')));
  const by = Object.fromEntries(eventsOf(msgs, aid).map((e) => [e.name ?? e.type, e]));
  assert.equal(by.within.session_id, by.first.session_id);
  assert.equal(by.still_within.session_id, by.first.session_id);
  assert.notEqual(by.after.session_id, by.first.session_id);
  assert.equal(by.after.session_index, by.first.session_index + 1);
  assert.equal(by.after.seq, 1);
  assert.equal(by.after.context.session_timeout_s, 4);
  await context.close();
});

test('consent denied sends nothing until it is granted', async () => {
  const context = await person();
  const page = await openShop(context, shop.origin + '/?consent=denied');
  const aid = await anonymousId(context);
  await page.click('a.product-link >> nth=1');
  await page.evaluate(() => { clickstream('track', 'denied_event'); clickstream('flush'); });
  // A decision later: only what follows it is sent.
  await page.evaluate(() => { clickstream('consent', 'granted'); clickstream('track', 'sentinel'); clickstream('flush'); });
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'sentinel')));
  const names = eventsOf(msgs, aid).map((e) => e.name ?? e.type);
  assert.deepEqual(names, ['sentinel']);
  const batch = msgs.find((m) => m.batch?.context.anonymous_id === aid).batch;
  assert.ok(batch.dropped.consent_denied >= 3, JSON.stringify(batch.dropped));
  await context.close();
});

test('two tabs share one session and never send the same batch twice', async () => {
  const context = await person();
  const a = await openShop(context, shop.origin + '/');
  const b = await openShop(context, shop.origin + '/p/tee');
  const aid = await anonymousId(context);
  for (let i = 0; i < 5; i++) {
    await a.evaluate((n) => clickstream('track', 'tab_a', { n }), i);
    await b.evaluate((n) => clickstream('track', 'tab_b', { n }), i);
  }
  await a.evaluate(() => clickstream('flush'));
  await b.evaluate(() => clickstream('flush'));
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) =>
    ev.filter((e) => e.name === 'tab_a').length >= 5 && ev.filter((e) => e.name === 'tab_b').length >= 5));
  const ev = eventsOf(msgs, aid);
  assert.equal(new Set(ev.map((e) => e.session_id)).size, 1, 'one session');
  const tabs = new Set(ev.map((e) => e.context.tab_id));
  assert.equal(tabs.size, 2, 'a tab id each');
  const ids = ev.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'no event sent twice');
  for (const t of tabs) {
    const seqs = ev.filter((e) => e.context.tab_id === t).map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq counts per tab');
  }
  await context.close();
});

test('a page with a strict Content-Security-Policy still tracks', async () => {
  const context = await person();
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text()); });
  await page.goto(shop.origin + '/?csp=1');
  await page.evaluate(() => new Promise((r) => clickstream('ready', r)));
  const aid = await anonymousId(context);
  await page.evaluate(() => { clickstream('track', 'under_csp'); clickstream('flush'); });
  await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'under_csp')));
  assert.deepEqual(violations, []);
  await context.close();
});

test('an automated browser says so in the context', async () => {
  const robot = await launch({ automation: true });
  const context = await robot.newContext();
  const page = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  await page.evaluate(() => clickstream('flush'));
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.length > 0));
  assert.equal(eventsOf(msgs, aid)[0].context.webdriver, true);
  await robot.close();
});

test('a tab opened after another was closed adopts its stored queue and sends it once', async () => {
  const context = await person();
  const a = await openShop(context, shop.origin + '/');
  const aid = await anonymousId(context);
  await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.type === 'page_view')));
  const tabA = await a.evaluate(() => sessionStorage.getItem('cs.tab'));
  await collector.stop();
  await a.evaluate(() => { clickstream('track', 'orphan'); clickstream('flush'); });
  await a.waitForFunction((t) => Object.keys(localStorage).some((k) => k.startsWith('cs.q.' + t + '.') &&
    localStorage.getItem(k).includes('orphan')), tabA);
  // Closed with the collector down: its page-hide beacon gets nowhere, the
  // event stays in tab A's queue, and tab A's lock goes with the tab.
  await a.close({ runBeforeUnload: true });
  await collector.start();
  const b = await openShop(context, shop.origin + '/cart');
  const tabB = await b.evaluate(() => sessionStorage.getItem('cs.tab'));
  assert.notEqual(tabB, tabA);
  await b.evaluate(() => clickstream('flush'));
  const msgs = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'orphan')));
  // Adopted: tab A's queue is gone, moved under tab B, and sent from there.
  await b.waitForFunction((t) => !Object.keys(localStorage).some((k) => k.startsWith('cs.q.' + t + '.')), tabA);
  await b.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('cs.q.') &&
    localStorage.getItem(k).includes('orphan')));
  const orphan = eventsOf(msgs, aid).filter((e) => e.name === 'orphan');
  assert.equal(orphan[0].context.tab_id, tabB, 'sent by the tab that adopted it');
  // Confirmed and removed before anything else could send it: once.
  await b.evaluate(() => { clickstream('track', 'after_orphan'); clickstream('flush'); });
  const later = await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'after_orphan')));
  assert.equal(eventsOf(later, aid).filter((e) => e.name === 'orphan').length, 1);
  await context.close();
});

test('served first-party, the collector sets the anonymous id cookie itself', async () => {
  // A collector of its own: the site sets the cookie, with a max-age (30 days)
  // that tells the collector's cookie from the script's (400 days).
  const own = new Collector(topic, {});
  const site = await startShop(own);
  own.config.sites = { demo: { origins: [site.origin], session_timeout_s: 1800, set_cookie: true } };
  own.config.cookie = { name: 'cs_aid', max_age_days: 30 };
  await own.start();
  try {
    const context = await person();
    const page = await openShop(context, site.origin + '/');
    const aid = await anonymousId(context);
    const byScript = (await context.cookies()).find((c) => c.name === 'cs_aid');
    assert.ok(byScript.expires - Date.now() / 1000 > 300 * 86400, 'the script sets 400 days');
    const answer = page.waitForResponse((r) => r.url().includes('/cs/v1/batch'));
    await page.evaluate(() => { clickstream('track', 'first_party'); clickstream('flush'); });
    const res = await answer;
    assert.equal(res.status(), 204);
    assert.equal((await res.allHeaders())['set-cookie'], `cs_aid=${aid}; Max-Age=${30 * 86400}; Path=/; SameSite=Lax`);
    const cookie = (await context.cookies()).find((c) => c.name === 'cs_aid');
    assert.equal(cookie.value, aid, 'the same id, refreshed by the collector');
    assert.ok(Math.abs(cookie.expires - (Date.now() / 1000 + 30 * 86400)) < 600, `expires ${cookie.expires}`);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    await waitForMessages(topic, hasAll(aid, (ev) => ev.some((e) => e.name === 'first_party')));
    await context.close();
  } finally {
    await own.stop();
    site.close();
  }
});

test('without WebAssembly, page views arrive through the pixel and the enrich stage takes them', async () => {
  const enrich = new Enrich(topic, { demo: { domains: ['127.0.0.1'] } });
  const context = await person();
  try {
    // A browser without WebAssembly, as the page sees it: the global is gone
    // before any of the page's scripts run. (Chromium 12x ignores V8's
    // --no-expose-wasm.)
    await context.addInitScript(() => { delete globalThis.WebAssembly; });
    const page = await context.newPage();
    const pixel = (path) => page.waitForResponse((r) => r.url().includes('/cs/v1/p.gif') &&
      new URL(new URL(r.url()).searchParams.get('u')).pathname === path);
    let gif = pixel('/p/mug');
    await page.goto(shop.origin + '/p/mug');
    assert.equal((await gif).status(), 200);
    assert.equal(await page.evaluate(() => typeof WebAssembly), 'undefined');
    const aid = await anonymousId(context);
    assert.ok(aid, 'the pixel path keeps the anonymous id in the cookie too');
    gif = pixel('/cart');
    await page.goto(shop.origin + '/cart', { referer: shop.origin + '/p/mug' });  // a second page of the same visit
    await gif;

    // On the raw topic: the query strings, as the collector got them.
    const mine = (ms) => ms.filter((m) => m.headers.source === 'pixel' && new URLSearchParams(m.value).get('aid') === aid);
    const raw = mine(await waitForMessages(topic, (ms) => mine(ms).length >= 2));
    assert.equal(raw.length, 2);
    for (const m of raw) assert.match(m.headers.content_type, /^application\/x-www-form-urlencoded/);

    // Through the real enrich stage: clean page views, none to the DLQ.
    await enrich.start();
    const clean = (ms) => ms.filter((m) => m.batch?.anonymous_id === aid);
    const views = clean(await waitForMessages(enrich.topics.clean, (ms) => clean(ms).length >= 2))
      .map((m) => m.batch).sort((x, y) => x.seq - y.seq);
    assert.deepEqual(views.map((e) => [e.source, e.type, e.url_path, e.seq, e.session_index]),
      [['pixel', 'page_view', '/p/mug', 1, 1], ['pixel', 'page_view', '/cart', 2, 1]]);
    assert.equal(views[0].session_id, views[1].session_id);
    assert.equal(views[0].title, 'Blue mug — Demo shop');
    assert.equal(views[1].referrer, shop.origin + '/p/mug');
    assert.equal(views[0].is_bot, false);
    assert.equal(views[0].sdk_name, 'pixel');
    assert.deepEqual(clean(readTopic(enrich.topics.dlq)), []);
    assert.equal(readTopic(enrich.topics.dlq).filter((m) => m.value.includes(aid)).length, 0);
  } finally {
    await enrich.stop();
    await context.close();
  }
});

test('where a Content-Security-Policy forbids compiling the wasm, the page view still arrives through the pixel', async () => {
  const context = await person();
  const page = await context.newPage();
  // The shop's page with a policy that lacks 'wasm-unsafe-eval'.
  await page.route('**/p/tee', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy':
      "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; style-src 'self'" } });
  });
  const gif = page.waitForResponse((r) => r.url().includes('/cs/v1/p.gif'));
  await page.goto(shop.origin + '/p/tee');
  assert.equal((await gif).status(), 200);
  assert.equal(await page.evaluate(() => clickstream.api.initMs), undefined, 'the core never started');
  const aid = await anonymousId(context);
  const mine = (ms) => ms.filter((m) => m.headers.source === 'pixel' && new URLSearchParams(m.value).get('aid') === aid);
  const [m] = mine(await waitForMessages(topic, (ms) => mine(ms).length >= 1));
  const q = new URLSearchParams(m.value);
  assert.equal(q.get('s'), 'demo');
  assert.equal(q.get('e'), 'page_view');
  assert.equal(new URL(q.get('u')).pathname, '/p/tee');
  assert.match(q.get('id'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(q.get('sid'), decodeURIComponent((await context.cookies()).find((c) => c.name === 'cs_sid').value).split(' ')[0]);
  await context.close();
});
