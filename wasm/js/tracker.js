// The page side of the beacon: replays the snippet's command queue, keeps
// the store (first-party cookies, localStorage, sessionStorage), moves the
// core's batches (fetch keepalive; sendBeacon on page hide) and tracks page
// views (autotrack.js the rest of the DOM). Built into
// dist/clickstream.main.js with core.js and autotrack.js, inside one
// function; dist/clickstream.js (loader.js) adds it and hands over the
// queue, the directory, the wasm's response and its start time on the stub
// (the loader is the one way in: this script keeps no fallback for a stub
// without them). Never throws into the page.
var w = window, d = document, nav = navigator, loc = location, ls, ss;
try { ls = w.localStorage; ss = w.sessionStorage; } catch (e) {}
var stub = w.clickstream, waiting = stub.q || [], base = stub.b;
var core, opt = {}, endpoint, tab, timer = 0, timerAt = 0, busy = 0, beaconed = 0, started = 0;
var cookies = 1, timeoutS = 1800, lastUrl, views = 0, readyFns = [];

// Events and storage go behind: track() only queues the event (below), and
// the core takes the events of a burst, and the store's writes go out,
// together, a second after the first of them at the latest (by the one
// timer, `later`, moved earlier when it is due later), and at once on page
// hide. Reads see the pending writes. (A renderer crash in between loses
// those events, as it loses the events still in the core.) A Map: an
// object that takes a new key per event (q.<tab>.<n>) turns into a slow
// dictionary in V8. The tab's seq stays in it once written: every event
// reads it, and a storage read in a task of its own cost more than the
// rest of the store's work for the event (no other tab writes that key).
var dirty = new Map(), flushing = 0;
function pumpSoon() {
  if (flushing) return;
  flushing = 1;
  later(Date.now() + 1000);
}
// The session cookie has its own pace (below); page hide (hiding 1) writes
// it too.
function flushStore(hiding) {
  flushing = 0;
  if (hiding && session) cookieFlush();
  dirty.forEach(function (v, k) {
    try {
      k.indexOf('seq.') == 0 ? ss.setItem('cs.' + k, v) :
        (dirty.delete(k), v == null ? ls.removeItem('cs.' + k) : ls.setItem('cs.' + k, v));
    } catch (e) {}
  });
}
function lsGet(k) {
  if (dirty.has(k)) return dirty.get(k);
  try { return (k.indexOf('seq.') == 0 ? ss : ls).getItem('cs.' + k); } catch (e) { return null; }
}
// Set (v null: remove) behind. Answers whether the store can keep it.
function lsPut(k, v) {
  if (k.indexOf('seq.') ? !ls : !ss) return 0;
  dirty.set(k, v);
  pumpSoon();
  return 1;
}
// A tab's id: unique among the site's tabs in one browser, and no secret,
// so Math.random's 52 bits do.
function rnd() {
  return Math.random().toString(36).slice(2);
}

// Cookies: the anonymous id and the session are the state every tab shares.
// document.cookie costs a round trip to the browser's cookie store (1-5 ms
// on a loaded machine): it is read again only after another writer changed
// a cookie (the Cookie Store API's change event, in Chromium), elsewhere
// once per task (every event reads the session). Another tab's write lands
// as if read a moment earlier; a cookie that lapsed changes nothing, as the
// session rule goes by its last event. The values read from one jar are
// kept with it (`got`): every event reads the session, and matching and
// decoding it each time was a fifth of a track() in Chromium. A write of
// this tab's own goes into `got` as it is made, and its change event (the
// value this tab wrote last, `mine`) leaves the jar as it is: re-reading
// the jar after each roll of the session cost an event after a quiet
// moment (a click) milliseconds.
var jar = null, got, mine, watched = w.cookieStore;
if (watched) watched.addEventListener('change', function (e) {
  if (e.deleted[0] || e.changed.some(function (c) { return c.name + '=' + c.value != mine; })) jar = null;
});
function cookieGet(n) {
  if (jar == null) {
    jar = d.cookie;
    got = {};
    if (!watched) Promise.resolve().then(function () { jar = null; });
  }
  if (!(n in got)) {
    var m = jar.match(new RegExp('(?:^|; )' + n + '=([^;]*)'));
    got[n] = m ? decodeURIComponent(m[1]) : null;
  }
  return got[n];
}
function cookiePut(n, v, maxAge) {
  if (got) got[n] = v;
  d.cookie = (mine = n + '=' + encodeURIComponent(v)) + '; Path=/; Max-Age=' + maxAge + '; SameSite=Lax' +
    (opt.cookieDomain ? '; Domain=' + opt.cookieDomain : '') +
    (loc.protocol == 'https:' ? '; Secure' : '');
  return 1;
}
// The session cookie holds "<id> <index> <last event ms>" and expires with
// the session: Max-Age runs from the last event. A new session (or a reset)
// is written at once; a session that only rolls on is written at most once
// per `every` ms, at the end of that span (and on page hide). `every` and
// the second an event may wait for the core (pumpSoon) make at most half the
// timeout, so a tab that reads a cookie that much behind the last event
// still decides exactly as with a fresh one: a value that old cannot make an
// event time out, and by the time it could, the cookie is fresh. Another tab
// that moved the session on (a later event, a new session) wins over a
// pending value of ours. The pending value is written by the pump (the one
// timer, `later`).
var session, sessionAt = 0;
function due() { return sessionAt + Math.min(5000, timeoutS * 500 - 1000); }
function sessionParts(v) { v = (v || '').split(' '); return { id: v[0] + ' ' + v[1], last: +v[2] || 0 }; }
function sessionGet() {
  var c = cookieGet(opt.cookieSid), a, b;
  if (!session) return c;
  a = sessionParts(session);
  b = sessionParts(c);
  if (b.id != a.id || b.last > a.last) { session = 0; return c; }
  return session;
}
function sessionPut(v) {
  var c = cookieGet(opt.cookieSid);
  if (!v || sessionParts(c).id != sessionParts(v).id || Date.now() >= due() || d.visibilityState == 'hidden') {
    return cookieWrite(v);
  }
  session = v;
  pumpSoon();  // the pump writes it when due
  return 1;
}
// Writes the pending value, unless another tab moved the session on.
function cookieFlush() {
  var v = session && sessionGet();
  return v == null ? 1 : cookieWrite(v);
}
function cookieWrite(v) {
  session = 0;
  sessionAt = Date.now();
  // Max-Age from the last event, rounded up to a whole second; an empty
  // value (a reset) is kept as long, so other tabs see the reset.
  return cookiePut(opt.cookieSid, v, v ? Math.max(1, Math.ceil((sessionParts(v).last + timeoutS * 1000 - sessionAt) / 1000)) : timeoutS);
}
var C = { anonymous_id: 'Aid', session: 'Sid' };
var next = 0;
var store = {
  now: function () { return calledAt || Date.now(); },
  get: function (k) {
    if (k == 'session' && cookies) return sessionGet();
    if (C[k] && cookies) return cookieGet(opt['cookie' + C[k]]);
    return lsGet(k);
  },
  put: function (k, v) {
    if (k == 'session_timeout_s' && (timeoutS = +v || timeoutS) && cookies) {
      session = session || cookieGet(opt.cookieSid);  // its Max-Age follows the new timeout
      cookieFlush();
    }
    if (k == 'session' && cookies) return sessionPut(v);
    if (C[k] && cookies) return cookiePut(opt['cookie' + C[k]], v, 34560000);
    return lsPut(k, v);
  },
  // The queue is per tab, so two tabs never send the same stored batch.
  append: function (r) {
    next = next || +(lsGet('n.' + tab) || 0);
    return lsPut('n.' + tab, ++next) && lsPut('q.' + tab + '.' + next, r) ? next : 0;
  },
  remove: function (id) { lsPut('q.' + tab + '.' + id, null); },
  load: function () {
    var out = [], p = 'cs.q.' + tab + '.', i, k;
    flushStore();
    try {
      for (i = 0; i < ls.length; i++) {
        k = ls.key(i);
        if (k.indexOf(p) == 0) out.push([+k.slice(p.length), ls.getItem(k)]);
      }
    } catch (e) {}
    return out.sort(function (a, b) { return a[0] - b[0]; });
  }
};

// Batches leave by fetch; the core decides when and retries.
function send(body, hiding) {
  var url = endpoint + '/v1/batch?site=' + encodeURIComponent(opt.site);
  busy = 1;
  if (hiding && nav.sendBeacon && nav.sendBeacon(url, body)) {
    beaconed = 1;  // no answer will come: stays stored until a later confirmed send
    return;
  }
  fetch(url, { method: 'POST', body: body, keepalive: body.length < 60000,
    headers: { 'Content-Type': 'text/plain' } }).then(function (r) {
    var ra = +r.headers.get('Retry-After');
    done(r.status, ra > 0 ? ra * 1000 : -1);
  }, function () { done(0, -1); });
}
function done(status, retryAfter) {
  busy = 0;
  core.complete(status, retryAfter);
  pump();
}
function pump(end) {
  clearTimeout(timer);
  timer = 0;
  // A task's steps stop once about 8 ms have gone, and the pump goes on in
  // a task of its own: the queued events (a burst's first cost the core
  // 0.2-3 ms each, its code still cold), the session cookie and the store's
  // writes (5 ms for 60 events), a batch. The batch's send is a task of
  // its own (busy meanwhile): a keepalive fetch of 12 KB took 3-27 ms in
  // Chromium. (`end` is a local: no caller passes the pump anything.)
  feed(end = Date.now() + 8);
  if (session) Date.now() < due() ? later(due()) : cookieFlush();
  if (calls[0] || flushing && (flushStore(), Date.now() >= end)) return later(0);
  if (busy || !core) return;
  var body = core.next();
  if (body != null) return busy = setTimeout(send, 0, body);
  var at = core.wakeup();
  if (at >= 0) later(at);
}
// Pumps at `at` (ms since the epoch) in a task of its own, unless a pump
// is due sooner.
function later(at) {
  if (timer && at >= timerAt) return;
  clearTimeout(timer);
  timer = setTimeout(pump, Math.max(0, (timerAt = at) - Date.now()));
}
function hide() {
  if (!core) return;
  feed();
  core.lifecycle(1);
  var body = busy ? null : core.next();
  if (body != null) send(body, 1);
  flushStore(1);
}
function show() {
  if (!core) return;
  core.lifecycle(2);
  if (beaconed) {  // the page lived on: send what the beacon carried again, for an answer
    beaconed = busy = 0;
    core.complete(0, 0);
  }
  pump();
}

// track() only queues the event, with the time and page of the call: the
// pump gives the queued events to the core (feed) in a task of the
// beacon's own, within a second (pumpSoon), so the caller's task (a click
// handler) pays for the queueing alone, and the events of a burst cost the
// core one task. Taken at once, a lone event cost the caller's task
// 100-250 µs in Chromium (the core, its bridge and the store running
// cold). While the core takes them its clock answers each event's time
// (calledAt). Commands that change what the core does with events
// (identify, reset, consent, flush) and page hide feed it first, so the
// order holds; the beacon's start has it take the page view at once (the
// next task), so that tabs opened together find one session.
var calls = [], calledAt = 0;
// The page's URL, read again only after the Navigation API said it changed
// (currententrychange: fired within pushState, replaceState, fragment
// moves and traversals); at every call where that API is missing. A
// location.href read alone in a task cost 10-20 µs.
var here, navi = w.navigation;
if (navi) navi.addEventListener('currententrychange', function () { here = 0; });
function href() { return navi && here || (here = loc.href); }
function track(type, o) {
  if (!core) return;
  o.url = o.url || href();
  calls.push([type, o, Date.now()]);
  pumpSoon();
}
// Gives the core the queued events, oldest first: until `end` (ms since
// the epoch; one event at least), or all. An event the bridge throws on (a
// name whose toString throws) is dropped alone, as the command that queued
// it would have dropped it: the queue, the clock and the pump carry on.
function feed(end) {
  for (var c; (c = calls.shift()); ) {
    calledAt = c[2];
    try { core.track(c[0], c[1]); } catch (x) {}
    if (Date.now() >= end) break;
  }
  calledAt = 0;
}

function pageView() {
  var url = href(), from = lastUrl;
  if (url == lastUrl) return;
  lastUrl = url;
  views++;
  track(0, { url: url, referrer: from || d.referrer, title: d.title });
}
function watchPages() {
  ['pushState', 'replaceState'].forEach(function (m) {
    var f = history[m];
    history[m] = function () {
      var r = f.apply(this, arguments);
      setTimeout(pageView, 0);  // after the app set its title
      return r;
    };
  });
  w.addEventListener('popstate', pageView);
  w.addEventListener('hashchange', pageView);
}
function props(p) {
  var o = {}, k;
  for (k in p) if (typeof p[k] != 'object' || p[k] === null) o[k] = p[k];
  return o;
}
var api = {
  init: function (o) {
    if (started) return;
    started = 1;
    opt = {
      cookieAid: 'cs_aid', cookieSid: 'cs_sid', pageViews: true, clicks: true, scroll: true,
      hovers: true, hoverMs: 1000, consent: 'granted'
    };
    for (var k in o) opt[k] = o[k];
    endpoint = (opt.endpoint || base.replace(/\/sdk\/$/, '')).replace(/\/$/, '');
    if (opt.respectDoNotTrack && (nav.doNotTrack == '1' || nav.globalPrivacyControl)) return;
    if (typeof WebAssembly != 'object') return pixel();
    start();
  },
  track: function (name, p) { track(5, { name: name, props: props(p) }); },
  conversion: function (name, value, currency, p) {
    track(7, { name: name, value: value, currency: currency, props: props(p) });
  },
  page: function () { lastUrl = 0; pageView(); },
  identify: function (id) { if (core) { feed(); core.identify(String(id)); pump(); } },
  reset: function () { if (core) { feed(); core.reset(); } },
  consent: function (c) {
    if (core) { feed(); core.consent({ granted: 0, pending: 1, denied: 2 }[c]); pump(); }
  },
  flush: function () { if (core) { feed(); core.flush(); pump(); } },
  ready: function (f) { core ? f() : readyFns.push(f); },
  cfg: function () { return [opt, endpoint]; }
};

// Where WebAssembly cannot run, the page view goes through the collector's
// pixel: clickstream.pixel.js, fetched only then (api.cfg() hands it the
// options). Nothing on this path needs more than ES5 (no Promise).
function pixel() {
  var s = d.createElement('script');
  s.src = base + 'clickstream.pixel.js';
  d.head.appendChild(s);
}

// Claims this tab's id (a duplicated tab copies sessionStorage: it takes a
// new one) and adopts the queues of tabs that are gone, under Web Locks.
function claimTab() {
  var L = nav.locks;
  try { tab = ss.getItem('cs.tab'); } catch (e) {}
  if (!L) return Promise.resolve(tab = tab || rnd());
  function hold(id) {
    return new Promise(function (ok) {
      L.request('cs.tab.' + id, { ifAvailable: true }, function (lock) {
        ok(!!lock);
        if (lock) return new Promise(function () {});  // held while the tab lives
      });
    });
  }
  return (tab ? hold(tab) : Promise.resolve(false)).then(function (got) {
    if (got) return;
    tab = rnd();
    return hold(tab);
  }).then(function () {
    try { ss.setItem('cs.tab', tab); } catch (e) {}
    return L.request('cs.adopt', function () {
      return L.query().then(function (q) {
        var live = {}, moved = [], i, k, m;
        q.held.forEach(function (l) { live[l.name] = 1; });
        for (i = 0; i < ls.length; i++) {
          k = ls.key(i);
          m = /^cs\.q\.([^.]+)\.(\d+)$/.exec(k);
          if (m && m[1] != tab && !live['cs.tab.' + m[1]]) moved.push([+m[2], k]);
        }
        moved.sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
          var v = ls.getItem(r[1]);
          if (v && store.append(v)) r.push(1);
        });
        flushStore();  // written under this tab before they leave the old one
        moved.forEach(function (r) { if (r[2]) ls.removeItem(r[1]); });
      });
    });
  });
}

function start() {
  cookies = nav.cookieEnabled && cookiePut('cs_test', '1', 10) && cookieGet('cs_test') == '1';
  timeoutS = +lsGet('session_timeout_s') || 1800;
  Promise.all([csCore(stub.w, store), claimTab()]).then(function (r) {
    var c = r[0], s = w.screen || {}, tz;
    // The time zone's name: Temporal answers in 0.1-0.3 ms, where a
    // renderer's first Intl call takes 25-70 ms in Chromium (ICU's data), so
    // Intl only where Temporal is missing (Safari).
    try { tz = w.Temporal ? Temporal.Now.timeZoneId() : Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
    var t1 = performance.now(), err = c.init({
      site: opt.site, endpoint: endpoint, tabId: tab,
      language: nav.language, timeZone: tz, screenW: s.width, screenH: s.height,
      viewportW: w.innerWidth, viewportH: w.innerHeight, webdriver: nav.webdriver ? 1 : 0,
      sessionTimeout: timeoutS, flushInterval: +lsGet('flush_interval_ms') || opt.flushInterval,
      consent: { granted: 0, pending: 1, denied: 2 }[opt.consent]
    });
    if (err < 0) return;
    core = c;
    api.initMs = performance.now() - t1;  // main-thread time of the core's start
    api.readyMs = performance.now() - stub.t;  // from the script's start, fetch and compile included
    fetch(endpoint + '/v1/config?site=' + encodeURIComponent(opt.site)).then(function (r) {
      return r.ok && r.json();
    }).then(function (cfg) {
      if (!cfg) return;
      if (cfg.session_timeout_s) core.timeout(cfg.session_timeout_s);
      if (cfg.flush_interval_ms) lsPut('flush_interval_ms', cfg.flush_interval_ms);
    }).catch(function () {});
    run();  // queued commands first: a consent decision applies to the first page view
    if (opt.pageViews) { pageView(); watchPages(); }
    // Auto-tracking that throws cannot stop the core from starting.
    try { autoTrack(); } catch (e) {}
    w.addEventListener('pagehide', hide);
    w.addEventListener('pageshow', show);
    d.addEventListener('visibilitychange', function () { d.visibilityState == 'hidden' ? hide() : show(); });
    readyFns.forEach(function (f) { try { f(); } catch (e) {} });
    later(0);  // the first events, in a task of their own: the core's first runs cold
  }, pixel);
}

// A command: its name and up to four arguments (the most any takes).
// Commands wait until the core is ready, then run in order; init runs first.
// An unknown command, or one that throws, does nothing.
function command(c, a, b, e, f) {
  if (!core && c != 'init' && c != 'ready') { waiting.push(arguments); return; }
  try {
    return api[c](a, b, e, f);
  } catch (x) {}
}
function call(a) { return command(a[0], a[1], a[2], a[3], a[4]); }
function run() {
  var q = waiting;
  waiting = [];
  q.forEach(call);
}
w.clickstream = command;
command.api = api;
for (var i = 0; i < waiting.length; i++) {
  if (waiting[i][0] == 'init') { call(waiting[i]); waiting.splice(i, 1); break; }
}
