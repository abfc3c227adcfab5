// The bridge to the wasm core (wasm/beacon/src/beacon.cpp): instantiates the
// module with the host's clock, random bytes and store, and wraps its
// exports. No batching, retry or session logic here: that is the core's.
// Used by the browser bundle (clickstream.js) and by the Node unit tests.
//
//   csCore(source, store).then(core => { core.init({...}); core.track(2, {...}); })
//   source: a Response or a promise of one (streaming compilation), or bytes.
//   store: {get(k) -> string|null, put(k, v) -> bool, append(rec) -> id>0|0,
//           remove(id), load() -> [[id, rec], ...] oldest first}
function csCore(source, store) {
  // Every event crosses here several times (ids, the session, the store):
  // the crossings allocate as little as they can: one view of the memory,
  // made again only when the memory grew; a value for the core encoded into
  // one reused buffer; random bytes drawn from the browser 4 KiB at a time
  // (a getRandomValues call per id cost a third of a track()).
  var enc = new TextEncoder(), dec = new TextDecoder(), x, u8, queue;
  var held = new Uint8Array(256), heldN = 0, pool = new Uint8Array(4096), poolAt = 4096;
  function heap() { return u8.buffer == x.memory.buffer ? u8 : (u8 = new Uint8Array(x.memory.buffer)); }
  function mem(p, n) { return heap().subarray(p, p + n); }
  function str(p, n) { return dec.decode(mem(p, n)); }
  function hold(s) {
    if (s == null) return -1;
    var r = enc.encodeInto(s, held);
    if (r.read < s.length) {
      held = new Uint8Array(s.length * 3);
      r = enc.encodeInto(s, held);
    }
    return heldN = r.written;
  }
  var env = {
    now: function () { return store.now ? store.now() : Date.now(); },
    random: function (p, n) {
      var m, i;
      if (n > 1024) return crypto.getRandomValues(mem(p, n));
      if (poolAt + n > 4096) { crypto.getRandomValues(pool); poolAt = 0; }
      for (m = heap(), i = 0; i < n; i++) m[p + i] = pool[poolAt++];
    },
    get: function (k, n) { return hold(store.get(str(k, n))); },
    // The core's JSON numbers (append_json_number) are Number#toString's.
    number: function (v) { return hold('' + v); },
    read: function (p) { heap().set(held.subarray(0, heldN), p); },
    // An i32 result: true 1, false (or nothing) 0.
    put: function (k, kn, v, vn) { return store.put(str(k, kn), str(v, vn)); },
    append: function (p, n) { return store.append(str(p, n)) || 0; },
    remove: function (id) { store.remove(id); },
    load_next: function (idp) {
      if (!queue) queue = store.load();
      var r = queue.shift();
      if (!r) { queue = null; return -1; }
      new Float64Array(x.memory.buffer, idp, 1)[0] = r[0];
      return hold(r[1]);
    }
  };
  var imports = { env: env, wasi_snapshot_preview1: { proc_exit: function () { throw Error('exit'); } } };
  var made = source instanceof ArrayBuffer || ArrayBuffer.isView(source)
    ? WebAssembly.instantiate(source, imports)
    : Promise.resolve(source).then(function (r) {
        return WebAssembly.instantiateStreaming
          ? WebAssembly.instantiateStreaming(r, imports)
          : r.arrayBuffer().then(function (b) { return WebAssembly.instantiate(b, imports); });
      });
  return made.then(function (m) {
    x = m.instance.exports;
    u8 = new Uint8Array(x.memory.buffer);
    x._initialize();
    // Writes strings into the scratch buffer; answers [offset, length] pairs.
    function args(list) {
      var cap = 0, off = 0, out = [], i;
      for (i = 0; i < list.length; i++) cap += 3 * String(list[i]).length;
      var view = mem(x.cs_buffer(cap || 1), cap);
      for (i = 0; i < list.length; i++) {
        var r = enc.encodeInto(String(list[i]), view.subarray(off));
        out.push(off, r.written);
        off += r.written;
      }
      return out;
    }
    var S = ['site', 'endpoint', 'sdkVersion', 'tabId', 'language', 'timeZone',
      'url', 'referrer', 'title', 'name', 'currency', 'selector', 'text', 'href'];
    var N = ['screenW', 'screenH', 'viewportW', 'viewportH', 'sessionTimeout', 'flushInterval',
      'webdriver', 'consent', 'value', 'depth', 'outbound', 'at'];
    function fields(o) {
      var i, a;
      for (i = 0; i < S.length; i++) {
        if (o[S[i]] != null && o[S[i]] !== '') { a = args([o[S[i]]]); x.cs_set(i, a[0], a[1]); }
      }
      for (i = 0; i < N.length; i++) {
        if (o[N[i]] != null) x.cs_set_number(i, +o[N[i]]);
      }
    }
    return {
      // Options: the S and N names above; consent 0 granted, 1 pending, 2 denied.
      init: function (o) { fields(o); return x.cs_init(); },
      // type: 0 page_view 1 screen_view 2 click 3 scroll 4 hover 5 custom
      // 6 identify 7 conversion. Answers 0 or the core's errc.
      track: function (type, o) {
        x.cs_event(type);
        fields(o);
        var p = o.props, k, v, a;
        if (p) for (k in p) {
          v = p[k];
          if (typeof v == 'number' || typeof v == 'boolean') {
            a = args([k]);
            x.cs_prop(a[0], a[1], typeof v == 'number' ? 1 : 2, 0, 0, +v);
          } else if (v != null) {
            a = args([k, v]);
            x.cs_prop(a[0], a[1], 0, a[2], a[3], 0);
          }
        }
        return x.cs_track();
      },
      identify: function (id) { var a = args([id]); return x.cs_identify(a[0], a[1]); },
      reset: function () { x.cs_reset(); },
      consent: function (c) { x.cs_consent(c); },
      timeout: function (s) { return x.cs_session_timeout(s); },
      flush: function () { x.cs_flush(); },
      lifecycle: function (m) { x.cs_lifecycle(m); },
      // The next batch due now (its JSON), or null; complete() must follow.
      next: function () { var n = x.cs_next(); return n < 0 ? null : str(x.cs_body(), n); },
      // status: HTTP status, 0 when there was no answer; retryAfter ms or -1.
      complete: function (status, retryAfter) { x.cs_complete(status, retryAfter); },
      // When next() may next answer (ms since the epoch), -1: not before a call.
      wakeup: function () { return x.cs_wakeup(); },
      stat: function (i) { return x.cs_stat(i); }
    };
  });
}
if (typeof module == 'object') module.exports = csCore;
