// The script the snippet adds (dist/clickstream.js): all a page must
// download before it can track. It keeps the snippet's command queue (or
// makes one, for a page that has only the script tag), starts the wasm's
// download at once, and adds the rest of the beacon (core.js, tracker.js and
// autotrack.js: dist/clickstream.main.js), which compiles the wasm as it
// streams in and replays the queue. It hands over on window.clickstream: b the directory
// the beacon is served from, w the wasm's response (absent where WebAssembly
// cannot run: tracker.js then fetches the pixel script), t when this script
// started (performance.now()). ES5, never throws into the page.
(function (w, d) {
  try {
    var c = w.clickstream = w.clickstream || function () { (c.q = c.q || []).push(arguments); };
    var me = d.currentScript, s;
    if (c.b) return;  // loaded twice
    c.t = w.performance && performance.now();
    c.b = me && me.src ? me.src.replace(/[^\/]*$/, '') : '/sdk/';
    // Same-origin credentials, fetch's default in every browser that runs
    // the module.
    if (typeof WebAssembly == 'object' && w.fetch) c.w = fetch(c.b + 'clickstream.wasm');
    s = d.createElement('script');
    s.src = c.b + 'clickstream.main.js';
    d.head.appendChild(s);
  } catch (e) {}
})(window, document);
