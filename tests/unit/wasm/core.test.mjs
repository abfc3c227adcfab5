// The beacon's wasm core under Node: the very clickstream.wasm and core.js
// that ship, driven with an in-memory store and a hand-moved clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import Ajv2020 from 'ajv/dist/2020.js';

const require = createRequire(import.meta.url);
const root = process.env.CLICKSTREAM_ROOT ?? new URL('../../..', import.meta.url).pathname;
const dist = process.env.CLICKSTREAM_WASM_DIST ?? join(process.env.CLICKSTREAM_BUILD_DIR ?? join(root, 'build'), 'wasm-beacon/dist');
const csCore = require(join(root, 'wasm/js/core.js'));
const wasm = readFileSync(join(dist, 'clickstream.wasm'));
const contracts = process.env.CLICKSTREAM_CONTRACTS ?? join(root, 'docs/contracts');
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false })
  .compile(JSON.parse(readFileSync(join(contracts, 'batch-v1.schema.json'), 'utf8')));

// What a page keeps: key-value state and the queue (shared by "reloads").
function memoryStore(t = 1764100000000) {
  const s = { kv: new Map(), q: new Map(), last: 0, t };
  return Object.assign(s, {
    now: () => s.t,
    get: (k) => (s.kv.has(k) ? s.kv.get(k) : null),
    put: (k, v) => (s.kv.set(k, v), true),
    append: (r) => (s.q.set(++s.last, r), s.last),
    remove: (id) => s.q.delete(id),
    load: () => [...s.q.entries()],
  });
}

const options = { site: 'demo', endpoint: 'https://c.example/cs', sdkVersion: '0.1.0', tabId: 'tab1',
  language: 'de-DE', timeZone: 'Europe/Berlin', screenW: 1920, screenH: 1080, viewportW: 1280,
  viewportH: 720, webdriver: 0, sessionTimeout: 1800 };

async function started(store, extra = {}) {
  const core = await csCore(wasm, store);
  assert.equal(core.init({ ...options, ...extra }), 0);
  return core;
}

// started(), with owner[name] replaced by `value` while core.js loads the
// module and restored after, whatever happens.
async function startedWith(owner, name, value, store) {
  const saved = owner[name];
  owner[name] = value;
  try {
    return await started(store);
  } finally {
    owner[name] = saved;
  }
}

function sendAll(core) {
  core.flush();
  const bodies = [];
  for (let b; (b = core.next()) != null;) {
    bodies.push(JSON.parse(b));
    core.complete(200, -1);
  }
  return bodies;
}

test('a page view, a click and a conversion make one valid batch with the web context', async () => {
  const store = memoryStore();
  const core = await started(store);
  assert.equal(core.track(0, { url: 'https://shop.example/p/1', referrer: 'https://search.example/', title: 'Mug — Shop ✓' }), 0);
  assert.equal(core.track(2, { url: 'https://shop.example/p/1', selector: 'a.buy', text: 'Buy', href: 'https://pay.example/', outbound: true }), 0);
  assert.equal(core.track(7, { name: 'purchase', value: 49.9, currency: 'EUR', props: { items: 2, coupon: 'X', gift: false, share: 0.1 + 0.2 } }), 0);
  const [batch, ...more] = sendAll(core);
  assert.equal(more.length, 0);
  assert.ok(validate(batch), JSON.stringify(validate.errors));
  assert.equal(batch.sdk.name, 'clickstream-web');
  assert.equal(batch.context.platform, 'web');
  assert.equal(batch.context.tab_id, 'tab1');
  assert.equal(batch.context.webdriver, false);
  assert.deepEqual(batch.context.viewport, { w: 1280, h: 720 });
  assert.equal(batch.context.anonymous_id, store.kv.get('anonymous_id'));
  assert.deepEqual(batch.events.map((e) => e.type), ['page_view', 'click', 'conversion']);
  assert.deepEqual(batch.events.map((e) => e.seq), [1, 2, 3]);
  assert.equal(batch.events[0].title, 'Mug — Shop ✓');
  assert.deepEqual(batch.events[1].element, { selector: 'a.buy', text: 'Buy', href: 'https://pay.example/', outbound: true });
  assert.equal(batch.events[2].value, 49.9);
  assert.deepEqual(batch.events[2].props, { items: 2, coupon: 'X', gift: false, share: 0.30000000000000004 });
  assert.equal(store.q.size, 0, 'a confirmed batch leaves the store');
});

test('the session rolls until the timeout passes without an event', async () => {
  const store = memoryStore();
  const core = await started(store, { sessionTimeout: 60 });
  core.track(5, { name: 'a' });
  store.t += 59_000;
  core.track(5, { name: 'b' });
  store.t += 59_000;
  core.track(5, { name: 'c' });
  store.t += 60_000;
  core.track(5, { name: 'd' });
  const events = sendAll(core).flatMap((b) => b.events);
  assert.equal(events.length, 4);
  assert.equal(events[1].session_id, events[0].session_id);
  assert.equal(events[2].session_id, events[0].session_id);
  assert.notEqual(events[3].session_id, events[0].session_id);
  assert.deepEqual(events.map((e) => e.session_index), [1, 1, 1, 2]);
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 1]);
});

test('the site timeout from /v1/config replaces the configured one and is remembered', async () => {
  const store = memoryStore();
  const core = await started(store);
  assert.equal(core.timeout(120), 0);
  assert.equal(store.kv.get('session_timeout_s'), '120');
  core.track(5, { name: 'a' });
  const [batch] = sendAll(core);
  assert.equal(batch.context.session_timeout_s, 120);
  assert.notEqual(core.timeout(0), 0, 'out of range');
});

test('consent denied sends nothing and counts what it dropped; pending holds until granted', async () => {
  const store = memoryStore();
  const core = await started(store, { consent: 2 });
  assert.notEqual(core.track(5, { name: 'x' }), 0);
  core.flush();
  assert.equal(core.next(), null);
  assert.equal(store.q.size, 0);
  core.consent(0);
  core.track(5, { name: 'after' });
  const [counted] = sendAll(core);
  assert.deepEqual(counted.events.map((e) => e.name), ['after']);
  assert.equal(counted.dropped.consent_denied, 1, 'the refused event is counted in the next batch');

  const other = await started(memoryStore(), { consent: 1 });
  other.track(5, { name: 'held' });
  other.flush();
  assert.equal(other.next(), null);
  other.consent(0);
  const [batch] = sendAll(other);
  assert.equal(batch.events[0].name, 'held');
});

test('a batch sent by sendBeacon stays stored, and is sent again when the page lives on', async () => {
  const store = memoryStore();
  const core = await started(store);
  core.track(0, { url: 'https://shop.example/' });
  core.lifecycle(1);
  const beaconed = core.next();
  assert.ok(beaconed);
  assert.equal(store.q.size, 1, 'no answer yet: still stored');
  core.complete(0, 0);  // the page came back: no answer will come
  const again = core.next();
  assert.deepEqual(JSON.parse(again).events, JSON.parse(beaconed).events);
  core.complete(200, -1);
  assert.equal(store.q.size, 0);
});

test('what a page left stored is sent by the next page load', async () => {
  const store = memoryStore();
  const first = await started(store);
  first.track(0, { url: 'https://shop.example/a' });
  first.track(5, { name: 'left' });
  first.flush();
  assert.ok(first.next());  // sent by a beacon, never answered: the page went away
  const second = await started(store);
  const bodies = sendAll(second);
  assert.deepEqual(bodies.flatMap((b) => b.events.map((e) => e.name ?? e.type)), ['page_view', 'left']);
  assert.equal(store.q.size, 0);
});

test('a failed send is retried after the backoff, not dropped; a 400 drops', async () => {
  const store = memoryStore();
  const core = await started(store);
  core.track(5, { name: 'x' });
  core.flush();
  assert.ok(core.next());
  core.complete(503, -1);
  assert.equal(store.q.size, 1);
  const at = core.wakeup();
  assert.ok(at >= store.t);
  store.t = at;
  assert.ok(core.next());
  core.complete(400, -1);
  assert.equal(store.q.size, 0);
  assert.equal(core.wakeup(), -1);
});

test('invalid events are refused whole and not stored', async () => {
  const store = memoryStore();
  const core = await started(store);
  assert.notEqual(core.track(7, { name: 'p', value: 3 }), 0, 'a value needs a currency');
  assert.notEqual(core.track(3, { depth: 140 }), 0);
  assert.notEqual(core.track(5, {}), 0, 'custom needs a name');
  assert.equal(store.q.size, 0);
});

test('memory freed by delivered events is used again: hours of tracking do not grow the heap', async () => {
  // The module is instantiated by core.js; its memory is caught on the way.
  const instantiate = WebAssembly.instantiate;
  let memory;
  const store = memoryStore();
  const core = await startedWith(WebAssembly, 'instantiate',
    (...a) => instantiate(...a).then((m) => ((memory = m.instance.exports.memory), m)), store);
  const url = 'https://shop.example/' + 'p'.repeat(8000);
  const round = () => {
    for (let i = 0; i < 20; i++) {
      assert.equal(core.track(5, { name: 'view', url, props: { i } }), 0);
      store.t += 10;
    }
    assert.equal(sendAll(core).reduce((n, b) => n + b.events.length, 0), 20);
  };
  for (let i = 0; i < 20; i++) round();
  const warm = memory.buffer.byteLength;
  // Several times the memory's size goes through the core (event, record,
  // batch body), so memory that was not reused would have to grow it.
  const rounds = Math.ceil((4 * warm) / (20 * url.length));
  for (let i = 0; i < rounds; i++) round();
  assert.equal(memory.buffer.byteLength, warm);
  assert.equal(store.q.size, 0);
});

test('a property value that outgrows the scratch buffer keeps the key written before it', async () => {
  const store = memoryStore();
  const core = await started(store);
  const long = 'é'.repeat(500);  // 1000 bytes, written after its key
  assert.equal(core.track(5, { name: 'n', url: 'https://shop.example/', props: { coupon: long, k: 'v' } }), 0);
  const [batch] = sendAll(core);
  assert.deepEqual(batch.events[0].props, { coupon: long, k: 'v' });
});

test('properties are held to the contract: at their limits they pass, past them the event is refused whole', async () => {
  const store = memoryStore();
  const core = await started(store);
  const many = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => ['p' + i, i]));
  const key = 'k'.repeat(127) + 'é';  // 129 bytes
  const ok = { [key.slice(0, 127) + 'k']: 'é'.repeat(512), n: -0, big: 2 ** 60, t: true, esc: 'a"\\\n\u0001' };
  assert.equal(core.track(5, { name: 'at', props: many(64) }), 0, '64 properties');
  assert.equal(core.track(5, { name: 'at', props: ok }), 0, '128-byte key, 1024-byte string');
  assert.notEqual(core.track(5, { name: 'over', props: many(65) }), 0, '65 properties');
  assert.notEqual(core.track(5, { name: 'over', props: { [key]: 1 } }), 0, '129-byte key');
  assert.notEqual(core.track(5, { name: 'over', props: { a: 'x', s: 'é'.repeat(512) + 'x' } }), 0, '1025-byte string');
  assert.notEqual(core.track(5, { name: 'over', props: { a: 1, x: NaN } }), 0, 'not a finite number');
  assert.notEqual(core.track(5, { name: 'over', props: { x: Infinity } }), 0, 'not a finite number');
  const [batch, ...more] = sendAll(core);
  assert.equal(more.length, 0);
  assert.ok(validate(batch), JSON.stringify(validate.errors));
  assert.deepEqual(batch.events.map((e) => e.name), ['at', 'at']);
  assert.deepEqual(batch.events[0].props, many(64));
  assert.deepEqual(batch.events[1].props, { ...ok, n: 0, big: 2 ** 60 });
  // The refused events took no seq.
  assert.deepEqual(batch.events.map((e) => e.seq), [1, 2]);
  // The next event after a refused one starts with no properties of it.
  assert.equal(core.track(5, { name: 'after' }), 0);
  assert.equal(sendAll(core)[0].events[0].props, undefined);
});

test('strings reach the batch as valid UTF-8: a lone surrogate becomes U+FFFD on the way in', async () => {
  // The module copies string bytes unchecked (CLICKSTREAM_TRUSTED_UTF8): it
  // relies on core.js handing it TextEncoder's output, valid UTF-8 always.
  // What leaves the module is decoded fatally here, so a byte that is not
  // UTF-8 fails the test instead of turning into U+FFFD on the way out.
  const Decoder = globalThis.TextDecoder;
  const store = memoryStore();
  const core = await startedWith(globalThis, 'TextDecoder',
    class extends Decoder { constructor() { super('utf-8', { fatal: true }); } }, store);
  const title = 'a\ud800b — 😀' + 'x'.repeat(300) + '\udc00';
  assert.equal(core.track(0, { url: 'https://shop.example/', title, props: { k: '\ud83d' } }), 0);
  const [batch] = sendAll(core);
  assert.ok(validate(batch), JSON.stringify(validate.errors));
  assert.equal(batch.events[0].title, 'a\ufffdb — 😀' + 'x'.repeat(300) + '\ufffd');
  assert.deepEqual(batch.events[0].props, { k: '\ufffd' });
});

test('bad options fail init', async () => {
  const core = await csCore(wasm, memoryStore());
  assert.equal(core.init({ ...options, site: 'no spaces' }), -1);
});

test('options are held to the core\'s bounds: at them init runs, past them it fails', async () => {
  const init = async (extra) => (await csCore(wasm, memoryStore())).init({ ...options, ...extra });
  const b = (n) => 'é'.repeat(n / 2);  // n bytes
  for (const ok of [{ site: 'a' }, { site: 'Az09_.-'.repeat(9) + 'x' }, { tabId: b(64) }, { language: 'x' + b(34) },
    { timeZone: b(64) }, { screenW: 100000.9 }, { screenH: -5 }, { viewportW: NaN }, { viewportH: 0 },
    { sessionTimeout: 1 }, { sessionTimeout: 86400.5 }, { flushInterval: 500 }, { flushInterval: 30000.9 },
    { flushInterval: '' }, { tabId: null }]) {
    assert.equal(await init(ok), 0, JSON.stringify(ok));
  }
  for (const bad of [{ site: '' }, { site: undefined }, { site: 'x'.repeat(65) }, { site: 'é' }, { site: 'a/b' },
    { tabId: b(64) + 'x' }, { language: b(36) }, { timeZone: 'x' + b(64) }, { screenW: 100001 },
    { viewportH: Infinity }, { sessionTimeout: 0.9 }, { sessionTimeout: 86401 }, { sessionTimeout: 'x' },
    { flushInterval: 499.9 }, { flushInterval: 30001 }, { flushInterval: NaN }]) {
    assert.equal(await init(bad), -1, JSON.stringify(bad));
  }
  // Once running, a second init answers 0 and changes nothing.
  const store = memoryStore();
  const core = await started(store);
  assert.equal(core.init({ ...options, site: 'other', flushInterval: 1 }), 0);
  assert.equal(core.track(5, { name: 'x' }), 0);
  assert.equal(sendAll(core)[0].site, 'demo');
});
