// Clicks, scroll milestones and hovers: part of clickstream.main.js (one
// script with core.js and tracker.js: as a script of its own, fetched beside
// the wasm, it cost the page 155 bytes gzipped more). tracker.js calls it once
// the core is ready. It shares the bundle's scope: w, d, loc, opt, track()
// and views (the page views so far) are tracker.js's.
function autoTrack() {
// A short CSS selector: tag, id or the first two classes, the marker value.
function selector(el) {
  var s = el.tagName.toLowerCase(), c = (typeof el.className == 'string' ? el.className : '').trim();
  if (el.id) return s + '#' + el.id;
  if (el.getAttribute('data-cs-track')) s += '[data-cs-track="' + el.getAttribute('data-cs-track') + '"]';
  if (c) s += '.' + c.split(/\s+/).slice(0, 2).join('.');
  return s;
}
function element(el) {
  var o = { selector: selector(el).slice(0, 255),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 100) };
  if (el.href) {
    o.href = String(el.href).slice(0, 2048);
    o.outbound = el.hostname != null && el.hostname != loc.hostname;
  }
  return o;
}

function watchClicks() {
  d.addEventListener('click', function (e) {
    try {
      var el = e.target.closest && e.target.closest('a,button,[data-cs-track],input[type=submit],input[type=button]');
      if (el) track(2, element(el));
    } catch (x) {}
  }, true);
}
function watchScroll() {
  var scrolled = {}, at = -1;
  w.addEventListener('scroll', function () {
    if (at != views) { at = views; scrolled = {}; }  // once each per page view
    if (scrolled[100]) return;
    var h = d.documentElement.scrollHeight, depth = h > 0 ? (w.scrollY + w.innerHeight) / h * 100 : 100;
    [25, 50, 75, 100].forEach(function (m) {
      if (depth >= m - 0.5 && !scrolled[m]) { scrolled[m] = 1; track(3, { depth: m }); }
    });
  }, { passive: true });
}
function watchHover() {
  var on, t;
  d.addEventListener('mouseover', function (e) {
    var el = e.target.closest && e.target.closest('[data-cs-hover],[data-cs-track]');
    if (el == on) return;
    clearTimeout(t);
    on = el;
    if (el) t = setTimeout(function () { if (on == el) track(4, element(el)); }, opt.hoverMs);
  }, { passive: true });
}

if (opt.clicks) watchClicks();
if (opt.scroll) watchScroll();
if (opt.hovers) watchHover();
}
