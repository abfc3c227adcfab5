// The bridge to the wasm core (wasm/beacon/src/beacon.cpp): instantiates the
// module with the host's clock, random bytes and store, and wraps its
// exports. No batching, retry or session logic here: that is the core's.
// Used by the browser bundle (clickstream.js) and by the Node unit tests.
//
//   csCore(source, store).then(core => { core.init({...}); core.track(2, {...}); })
//   source: a Response or a promise of one (streaming compilation), or bytes.
//   store: {now() -> ms since the epoch, get(k) -> string|null, put(k, v) -> bool,
//           append(rec) -> id>0|0, remove(id), load() -> [[id, rec], ...] oldest first}
function csCore(source, store) {
  // Every event crosses here several times (ids, the session, the store):
  // the crossings allocate as little as they can: one view of the memory,
  // made again only when the memory grew (growing detaches the old buffer,
  // so the view's length drops to 0); a value for the core encoded into one
  // reused buffer; random bytes drawn from the browser 4 KiB at a time (a
  // getRandomValues call per id cost a third of a track()). ASCII strings,
  // nearly all of them (keys, ids, the session, names, records), are copied
  // by hand: in Chromium a TextDecoder or encodeInto call costs more than
  // the copy, and was a quarter of a track().
  var enc = new TextEncoder(), dec = new TextDecoder(), x, u8, queue;
  var held = new Uint8Array(256), heldN = 0, pool = new Uint8Array(4096), poolAt = 4096;
  function heap() { return u8.length ? u8 : (u8 = new Uint8Array(x.memory.buffer)); }
  function str(p, n) {
    var m = heap().subarray(p, p + n), i = 0, s = '';
    while (i < n && m[i] < 128) i++;
    if (i < n) return dec.decode(m);
    for (i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, m.subarray(i, i + 8192));
    return s;
  }
  // Writes s as UTF-8 into m from `at` (room for 3 bytes a character);
  // answers the bytes written.
  function utf8(s, m, at) {
    var n = s.length, i = 0, c;
    for (; i < n && (c = s.charCodeAt(i)) < 128; i++) m[at + i] = c;
    return i == n ? n : enc.encodeInto(s, m.subarray(at, at + 3 * n)).written;
  }
  function hold(s) {
    if (s == null) return -1;
    if (held.length < 3 * s.length) held = new Uint8Array(3 * s.length);
    return heldN = utf8(s, held, 0);
  }
  var env = {
    // The imports, one letter each as beacon.cpp names them (t now, r random,
    // g get, c read, p put, a append, x remove, n number, l load_next).
    t: store.now,
    // n is at most the pool's size: the core asks for 8 bytes at a time.
    r: function (p, n) {
      var m, i;
      if (poolAt + n > 4096) { crypto.getRandomValues(pool); poolAt = 0; }
      for (m = heap(), i = 0; i < n; i++) m[p + i] = pool[poolAt++];
    },
    g: function (k, n) { return hold(store.get(str(k, n))); },
    // The core's JSON numbers (append_json_number) are Number#toString's.
    n: function (v) { return hold('' + v); },
    c: function (p) { heap().set(held.subarray(0, heldN), p); },
    // An i32 result: true 1, false (or nothing) 0.
    p: function (k, kn, v, vn) { return store.put(str(k, kn), str(v, vn)); },
    a: function (p, n) { return store.append(str(p, n)) || 0; },
    x: function (id) { store.remove(id); },
    l: function (idp) {
      if (!queue) queue = store.load();
      var r = queue.shift();
      if (!r) { queue = null; return -1; }
      new Float64Array(x.memory.buffer, idp, 1)[0] = r[0];
      return hold(r[1]);
    }
  };
  var imports = { e: env };
  var made = source instanceof ArrayBuffer || ArrayBuffer.isView(source)
    ? WebAssembly.instantiate(source, imports)
    // Every browser that runs the module (bulk memory: Chromium 75, Firefox
    // 79, Safari 15) compiles it streaming.
    : WebAssembly.instantiateStreaming(source, imports);
  // The exports, one letter each (beacon.cpp): b cs_buffer, s cs_set, v
  // cs_set_number, i cs_init, e cs_event, p cs_prop, t cs_track, u
  // cs_identify, r cs_reset, c cs_consent, o cs_session_timeout, f cs_flush,
  // l cs_lifecycle, n cs_next, y cs_body, d cs_complete, w cs_wakeup.
  return made.then(function (m) {
    x = m.instance.exports;
    u8 = new Uint8Array(x.memory.buffer);
    x._initialize();
    // Writes v (as a string) into the scratch buffer at `off`; answers its
    // length in bytes. The buffer may move as it grows, its offsets hold.
    var cap = 0, scratch;
    function put(v, off) {
      v = String(v);
      if (off + 3 * v.length > cap) scratch = x.b(cap = off + 3 * v.length + 256);
      return utf8(v, heap(), scratch + off);
    }
    var S = ['site', 'endpoint', 'sdkVersion', 'tabId', 'language', 'timeZone',
      'url', 'referrer', 'title', 'name', 'currency', 'selector', 'text', 'href'];
    var N = ['screenW', 'screenH', 'viewportW', 'viewportH', 'sessionTimeout', 'flushInterval',
      'webdriver', 'consent', 'value', 'depth', 'outbound', 'at'];
    // Sets the fields o has (not a probe for each of the 26 names: an event
    // has two to four), in o's order; other keys (props) are left to track.
    // With `check` (init), answers whether an option is one the core's
    // options_error would refuse: the bridge checks nothing (is_valid cost
    // the module 0.46 KB gzipped) and sets the options a page cannot pass
    // (SDK name, batching, retry) to values the core takes. The bounds, by
    // index of S and N: site 1 to 64 of A-Z a-z 0-9 _ . -; tab id, language,
    // time zone up to 64, 35, 64 bytes; screen and viewport sides up to
    // 100 000, session timeout 1 to 86 400 s, flush interval 500 to 30 000
    // ms, of the whole part as the bridge casts them (NaN is 0).
    var SB = [64, , , 64, 35, 64], NL = [, , , , 1, 500], NH = [1e5 + 1, 1e5 + 1, 1e5 + 1, 1e5 + 1, 86401, 30001];
    var inited = 0;
    function fields(o, check) {
      var k, a, i, n, bad = check && !/^[\w.-]{1,64}$/.test(o.site == null ? '' : o.site);
      for (k in o) {
        if ((a = o[k]) != null && a !== '') {
          if ((i = S.indexOf(k)) >= 0) {
            x.s(i, 0, n = put(a, 0));
            bad = bad || check && n > SB[i];
          } else if ((i = N.indexOf(k)) >= 0) {
            x.v(i, a = +a);
            bad = bad || check && (a >= NH[i] || a < NL[i] || a != a && NL[i]);
          }
        }
      }
      return bad;
    }
    return {
      // Options: the S and N names above; consent 0 granted, 1 pending, 2
      // denied. -1: an option the core would refuse.
      // Once the core runs, init sets nothing it reads and answers 0.
      init: function (o) {
        if (fields(o, !inited)) return -1;
        inited = 1;
        return x.i();
      },
      // type: 0 page_view 1 screen_view 2 click 3 scroll 4 hover 5 custom
      // 6 identify 7 conversion. Answers 0 or the core's errc.
      track: function (type, o) {
        x.e(type);
        fields(o);
        var p = o.props, k, v, n;
        if (p) for (k in p) {
          v = p[k];
          if (typeof v == 'number' || typeof v == 'boolean') {
            x.p(0, put(k, 0), typeof v == 'number' ? 1 : 2, 0, 0, +v);
          } else if (v != null) {
            n = put(k, 0);
            x.p(0, n, 0, n, put(v, n), 0);
          }
        }
        return x.t();
      },
      identify: function (id) { return x.u(0, put(id, 0)); },
      // The rest are the module's exports themselves (a wasm function needs
      // no this): reset(); consent(c); timeout(s), 0 or an errc; flush();
      // lifecycle(m).
      reset: x.r,
      consent: x.c,
      timeout: x.o,
      flush: x.f,
      lifecycle: x.l,
      // The next batch due now (its JSON), or null; complete() must follow.
      next: function () { var n = x.n(); return n < 0 ? null : str(x.y(), n); },
      // complete(status, retryAfter): HTTP status, 0 when there was no
      // answer; retryAfter ms or -1.
      complete: x.d,
      // wakeup(): when next() may next answer (ms since the epoch), -1: not
      // before a call.
      wakeup: x.w
    };
  });
}
if (typeof module == 'object') module.exports = csCore;
