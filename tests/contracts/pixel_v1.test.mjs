// The pixel v1 contract (docs/contracts/pixel-v1/) from both of its ends in
// JavaScript: every golden query string, mapped onto batch v1 by the
// parameter table, gives the batch cases.json lists, which batch v1's schema
// accepts (or, for an invalid golden, refuses at the path listed); and the
// beacon's own pixel (wasm/js/pixel.js, which wasm/js/tracker.js loads in a
// browser without WebAssembly) sends exactly the golden it is documented to send, with ids,
// session and seq that carry on as the core's would. The processor's
// parse_pixel reads the same goldens (tests/unit/processor/enrich/
// pixel_contract_test.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import Ajv2020 from 'ajv/dist/2020.js';

const root = process.env.CLICKSTREAM_ROOT ?? new URL('../..', import.meta.url).pathname;
const dir = process.env.CLICKSTREAM_CONTRACTS ?? join(root, 'docs/contracts');
const schema = JSON.parse(readFileSync(join(dir, 'batch-v1.schema.json'), 'utf8'));
const { cases } = JSON.parse(readFileSync(join(dir, 'pixel-v1/cases.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
// A golden is one query string and a newline.
const golden = (file) => readFileSync(join(dir, 'pixel-v1', file), 'utf8').replace(/\n$/, '');

// The parameter table of docs/contracts/pixel-v1/README.md: name → where it
// lands in the batch, and whether it is a number or a flag. `site` is the
// collector's (it routes by it, as for a batch's URL) and lands nowhere.
const params = {
  site: [], s: ['site'], sat: ['sent_at', 'number'],
  aid: ['context', 'anonymous_id'], uid: ['context', 'user_id'], p: ['context', 'platform'],
  to: ['context', 'session_timeout_s', 'number'], tab: ['context', 'tab_id'], wd: ['context', 'webdriver', 'flag'],
  id: ['event', 'id'], e: ['event', 'type'], ts: ['event', 'ts', 'number'], tts: ['event', 'true_ts', 'number'],
  sid: ['event', 'session_id'], si: ['event', 'session_index', 'number'], q: ['event', 'seq', 'number'],
  u: ['event', 'url'], r: ['event', 'referrer'], t: ['event', 'title'], n: ['event', 'name'],
  v: ['event', 'value', 'number'], c: ['event', 'currency'],
};
// A number when the text reads as one, else the text (which the schema then
// refuses as the wrong type).
const number = (t) => (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t) ? Number(t) : t);

function toBatch(query) {
  const b = { v: 1 }, context = { platform: 'web', session_timeout_s: 1800 };
  const event = { type: 'page_view', session_index: 1, seq: 1 };
  for (const [name, value] of new URLSearchParams(query)) {
    const m = params[name];
    if (!m?.length) continue;  // unknown parameters (and the collector's `site`) are ignored
    const [where, field, kind] = m.length === 1 || m[0] === 'site' || m[0] === 'sent_at' ? ['batch', ...m] : m;
    const v = kind === 'number' ? number(value) : kind === 'flag' ? value === '1' || value === 'true' : value;
    (where === 'batch' ? b : where === 'context' ? context : event)[field] = v;
  }
  if (b.sent_at === undefined && event.ts !== undefined) b.sent_at = event.ts;
  b.sdk = { name: 'pixel', version: '1' };
  b.context = context;
  b.events = [event];
  return b;
}

test('cases.json lists every golden file', () => {
  const onDisk = ['valid', 'invalid'].flatMap((d) => readdirSync(join(dir, 'pixel-v1', d)).map((f) => `${d}/${f}`));
  assert.deepEqual(cases.map((c) => c.file).sort(), onDisk.sort());
});

test('the parameter table is the one the README documents', () => {
  const readme = readFileSync(join(dir, 'pixel-v1/README.md'), 'utf8');
  const documented = [...readme.matchAll(/^\| `([a-z]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(params).sort());
});

for (const c of cases) {
  test(`${c.file} is ${c.valid ? 'valid' : `invalid (${c.reason} at ${c.path})`}`, () => {
    const batch = toBatch(golden(c.file));
    const ok = validate(batch);
    if (c.valid) {
      assert.deepEqual(batch, c.batch, 'the golden maps onto the batch cases.json lists');
      const q = new URLSearchParams(golden(c.file));
      assert.equal(q.get('site'), q.get('s'), 'the collector routes by site: the same key as s');
      assert.ok(ok, JSON.stringify(validate.errors));
    } else {
      assert.ok(!ok, 'schema accepted an invalid pixel');
      const paths = validate.errors.map((e) => (e.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath));
      assert.ok(paths.includes(c.path), `expected a violation at '${c.path}', got ${JSON.stringify(paths)}`);
    }
  });
}

// A page without WebAssembly, as far as the beacon can tell: cookies,
// storage, a fixed clock and counted random bytes, and an Image that records
// what it was asked to load. The beacon's sources run in it as the bundle
// runs them (core.js and tracker.js in one function).
const beaconSource = ['core.js', 'tracker.js'].map((f) => readFileSync(join(root, 'wasm/js', f), 'utf8')
  .replace(/^if \(typeof module == 'object'\) module.exports = csCore;\n?/m, '')).join('\n');
// What the loader fetches where WebAssembly cannot run.
const pixelSource = readFileSync(join(root, 'wasm/js/pixel.js'), 'utf8');

function storage(map = new Map()) {
  return {
    map, getItem: (k) => (map.has(k) ? map.get(k) : null), setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k), key: (i) => [...map.keys()][i], get length() { return map.size; },
  };
}

function browser({ now = 1764100000000, jar = new Map(), local = new Map(), cookies = true, href, referrer, title,
  webdriver = false, readyState = 'interactive', es5 = false } = {}) {
  const sent = [], scripts = [], listeners = {};
  let counter = 0, context;
  const document = {
    title: title ?? 'Blue mug — Demo shop', referrer: referrer ?? 'https://www.bing.com/', visibilityState: 'visible',
    readyState, currentScript: { src: 'https://shop.example/cs/sdk/clickstream.js' },
    createElement: () => ({}),
    // The loader's scripts: the pixel's runs as the browser would run it.
    head: { appendChild(el) {
      scripts.push(el.src);
      if (el.src === 'https://shop.example/cs/sdk/clickstream.pixel.js') vm.runInContext(pixelSource, context);
    } },
    get cookie() { return cookies ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : ''; },
    set cookie(c) {
      if (!cookies) return;
      const [pair, ...attrs] = c.split('; ');
      const [k, v] = pair.split('=');
      const age = attrs.find((a) => a.startsWith('Max-Age='));
      if (age && +age.slice(8) <= 0) jar.delete(k); else jar.set(k, v);
    },
    addEventListener(type, f) { (listeners[type] ??= []).push(f); },
  };
  const window = {
    localStorage: storage(local), sessionStorage: storage(), document,
    navigator: { cookieEnabled: cookies, webdriver, language: 'de-DE' },
    location: { href: href ?? 'https://shop.example/p/mug?utm_source=news', hostname: 'shop.example', protocol: 'https:' },
    crypto: { getRandomValues: (a) => { for (let i = 0; i < a.length; i++) a[i] = (counter++ * 37 + 11) & (a.BYTES_PER_ELEMENT === 1 ? 0xff : 0xffffffff); return a; } },
    Image: class { constructor() { this.src = ''; } set src(u) { if (u) sent.push(u); } get src() { return ''; } },
    Date: class extends Date { static now() { return now; } },
    setTimeout: () => 0, clearTimeout() {}, requestIdleCallback: () => 0,
    addEventListener() {}, history: {}, Uint8Array, Uint32Array, Float64Array,
    ArrayBuffer, Math, String, RegExp, Object, Error, encodeURIComponent, decodeURIComponent, Intl, JSON,
  };
  window.window = window;
  context = vm.createContext(window);
  vm.runInContext('delete globalThis.WebAssembly', context);
  // An old browser: no Promise, fetch or TextEncoder either.
  if (es5) vm.runInContext('delete globalThis.Promise; delete globalThis.TextEncoder; delete globalThis.TextDecoder', context);
  const fire = (type) => (listeners[type] ?? []).forEach((f) => f());
  return { window, context, sent, scripts, fire, jar, local, session: window.sessionStorage.map };
}

// Loads the beacon into the page and runs the snippet's commands, with the
// stub as the loader (clickstream.js) leaves it where WebAssembly cannot run:
// the queue and the directory it was served from, no wasm response.
function load(page, commands = [['init', { site: 'demo-shop' }]]) {
  page.window.clickstream = Object.assign(function () {}, { q: commands, b: 'https://shop.example/cs/sdk/' });
  vm.runInContext(`(function () {\n'use strict';\n${beaconSource}})();`, page.context);
  return page.sent.map((u) => {
    const url = new URL(u);
    assert.equal(url.origin + url.pathname, 'https://shop.example/cs/v1/p.gif');
    return url.search.slice(1);
  });
}

test('without WebAssembly the beacon sends the golden pixel of a first visit', () => {
  const page = browser();
  const [query, ...more] = load(page);
  assert.deepEqual(more, []);
  assert.equal(query, golden('valid/tracker_first_visit.txt'));
  const b = toBatch(query);
  assert.ok(validate(b), JSON.stringify(validate.errors));
  // The ids are the core's: its cookies and keys hold them for later pages.
  assert.equal(page.jar.get('cs_aid'), b.context.anonymous_id);
  assert.equal(decodeURIComponent(page.jar.get('cs_sid')), `${b.events[0].session_id} 1 ${b.events[0].ts}`);
  assert.equal(page.session.get('cs.seq.' + b.context.tab_id), `${b.events[0].session_id} 1`);
});

test('every parameter the beacon sends is in the contract', () => {
  const page = browser();
  page.local.set('cs.user_id', 'user-42');
  const [query] = load(page);
  for (const [name] of new URLSearchParams(query)) assert.ok(params[name], `${name} is not a pixel v1 parameter`);
  assert.equal(new URLSearchParams(query).get('uid'), 'user-42');
});

test('a later page of the same visit carries on the session and its seq; after the timeout a new one starts', () => {
  const jar = new Map(), local = new Map();
  const first = toBatch(load(browser({ jar, local }))[0]);
  // Same tab: sessionStorage goes with it.
  const tab2 = browser({ jar, local, now: 1764100000000 + 60_000, href: 'https://shop.example/cart' });
  tab2.window.sessionStorage.setItem('cs.tab', first.context.tab_id);
  tab2.window.sessionStorage.setItem('cs.seq.' + first.context.tab_id, `${first.events[0].session_id} 1`);
  const second = toBatch(load(tab2)[0]);
  assert.equal(second.context.anonymous_id, first.context.anonymous_id);
  assert.equal(second.events[0].session_id, first.events[0].session_id);
  assert.equal(second.events[0].session_index, 1);
  assert.equal(second.events[0].seq, 2);
  assert.notEqual(second.events[0].id, first.events[0].id);
  assert.equal(second.events[0].url, 'https://shop.example/cart');

  // The site's 30 minutes, counted from the last event, as the core counts.
  const late = browser({ jar, local, now: 1764100000000 + 60_000 + 1800_000 });
  late.window.sessionStorage.setItem('cs.tab', first.context.tab_id);
  late.window.sessionStorage.setItem('cs.seq.' + first.context.tab_id, `${first.events[0].session_id} 2`);
  const third = toBatch(load(late)[0]);
  assert.equal(third.context.anonymous_id, first.context.anonymous_id);
  assert.notEqual(third.events[0].session_id, first.events[0].session_id);
  assert.equal(third.events[0].session_index, 2);
  assert.equal(third.events[0].seq, 1);
  assert.ok(validate(third), JSON.stringify(validate.errors));
});

test('a session the wasm core left in the cookie is continued, with the site timeout it stored', () => {
  const jar = new Map([['cs_aid', 'aid-from-core'], ['cs_sid', encodeURIComponent('sid-from-core 4 1764099990000')]]);
  const local = new Map([['cs.session_timeout_s', '600']]);
  const b = toBatch(load(browser({ jar, local }))[0]);
  assert.equal(b.context.anonymous_id, 'aid-from-core');
  assert.equal(b.context.session_timeout_s, 600);
  assert.equal(b.events[0].session_id, 'sid-from-core');
  assert.equal(b.events[0].session_index, 4);
});

test('with cookies blocked the ids live in localStorage', () => {
  const local = new Map();
  const b = toBatch(load(browser({ cookies: false, local }))[0]);
  assert.equal(local.get('cs.anonymous_id'), b.context.anonymous_id);
  assert.ok(validate(b), JSON.stringify(validate.errors));
});

test('no pixel without consent: denied (stored or initial) and pending send nothing', () => {
  const denied = browser();
  denied.local.set('cs.consent', 'denied');
  assert.deepEqual(load(denied), []);
  assert.deepEqual(load(browser(), [['init', { site: 'demo-shop', consent: 'pending' }]]), []);
  const granted = browser();
  granted.local.set('cs.consent', 'granted');
  assert.equal(load(granted, [['init', { site: 'demo-shop', consent: 'denied' }]]).length, 1, 'a stored decision wins');
});

test('a title cut at the length limit keeps whole characters', () => {
  const [query] = load(browser({ title: 'a'.repeat(511) + '😀 and more' }));
  assert.equal(toBatch(query).events[0].title, 'a'.repeat(511));
});

test('without WebAssembly the loader fetches the pixel script, which waits until the page is parsed', () => {
  const page = browser({ readyState: 'loading' });
  assert.deepEqual(load(page), []);
  assert.deepEqual(page.scripts, ['https://shop.example/cs/sdk/clickstream.pixel.js']);
  page.window.document.title = 'Set by the page';
  page.fire('DOMContentLoaded');
  assert.equal(page.sent.length, 1);
  assert.equal(toBatch(new URL(page.sent[0]).search.slice(1)).events[0].title, 'Set by the page');
});

test('an old browser without Promise still sends its page view', () => {
  const [query, ...more] = load(browser({ es5: true }));
  assert.deepEqual(more, []);
  assert.equal(query, golden('valid/tracker_first_visit.txt'));
});

test('the automation flag is sent for the bot filter', () => {
  const [query] = load(browser({ webdriver: true }));
  assert.equal(toBatch(query).context.webdriver, true);
});
