// The page view of a browser that cannot run the beacon's wasm, through the
// collector's pixel (docs/contracts/pixel-v1): clickstream.js loads this as
// clickstream.pixel.js only then. The ids, the session and seq follow the
// core's rules on the core's own cookies and keys, so a later page load that
// runs the wasm carries on the same visitor, session and count. It waits for
// the page's own scripts (the title), and sends only with consent granted
// (stored, or the init option with none stored). ES5: the browsers that come
// here may be old.
(function (w) {
var api = w.clickstream && w.clickstream.api, c = api && api.cfg && api.cfg();
if (!c) return;
var opt = c[0], endpoint = c[1], cookies, timeoutS;
var d = document, loc = location, ls, ss;
try { ls = w.localStorage; ss = w.sessionStorage; } catch (e) {}

function get(st, k) { try { return st.getItem('cs.' + k); } catch (e) { return null; } }
function put(st, k, v) { try { st.setItem('cs.' + k, v); } catch (e) {} }
function cookieGet(n) {
  var m = d.cookie.match(new RegExp('(?:^|; )' + n + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : null;
}
function cookiePut(n, v, maxAge) {
  d.cookie = n + '=' + encodeURIComponent(v) + '; Path=/; Max-Age=' + maxAge + '; SameSite=Lax' +
    (opt.cookieDomain ? '; Domain=' + opt.cookieDomain : '') + (loc.protocol == 'https:' ? '; Secure' : '');
}
// The anonymous id and the session live where the core keeps them: in the
// cookies, else in localStorage.
function state(k, name, v, maxAge) {
  if (v == null) return cookies ? cookieGet(name) : get(ls, k);
  cookies ? cookiePut(name, v, maxAge) : put(ls, k, v);
}
function uuid() {
  var b = new Uint8Array(16), h = '', i;
  crypto.getRandomValues(b);
  b[6] = b[6] & 15 | 64;
  b[8] = b[8] & 63 | 128;
  for (i = 0; i < 16; i++) h += (b[i] < 16 ? '0' : '') + b[i].toString(16) + (i == 3 || i == 5 || i == 7 || i == 9 ? '-' : '');
  return h;
}
function rnd() {
  var a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
}
// At most n UTF-16 units, never half a surrogate pair (encodeURIComponent
// throws on one).
function cut(v, n) { return String(v || '').slice(0, n).replace(/[\ud800-\udbff]$/, ''); }

function send() {
  var now = Date.now(), tab, aid, s, q, sid, si, seq, last, p, k, u = [];
  cookiePut('cs_test', '1', 10);
  cookies = navigator.cookieEnabled && cookieGet('cs_test') == '1';
  timeoutS = +get(ls, 'session_timeout_s') || 1800;  // the site's, as the core stored it
  if ((get(ls, 'consent') || opt.consent) != 'granted') return;
  tab = get(ss, 'tab');
  if (!tab) put(ss, 'tab', tab = rnd());
  aid = state('anonymous_id', opt.cookieAid);
  if (!aid) state('anonymous_id', opt.cookieAid, aid = uuid(), 34560000);
  // "<id> <index> <last event ms>": the session goes on while its last event
  // is less than the timeout ago (the core's rule), else the next one starts.
  s = (state('session', opt.cookieSid) || '').split(' ');
  si = +s[1] || 0;
  if (!si || !(now - s[2] < timeoutS * 1000)) s = [uuid(), ++si, now];
  sid = s[0];
  last = Math.max(now, s[2]);
  state('session', opt.cookieSid, sid + ' ' + si + ' ' + last, Math.max(1, Math.ceil((last + timeoutS * 1000 - now) / 1000)));
  // seq per tab and session, as the core keeps it in sessionStorage.
  q = (get(ss, 'seq.' + tab) || '').split(' ');
  seq = q[0] == sid ? +q[1] + 1 : 1;
  put(ss, 'seq.' + tab, sid + ' ' + seq);
  p = { site: opt.site, s: opt.site, aid: aid, uid: get(ls, 'user_id'), tab: tab, to: timeoutS, wd: navigator.webdriver ? 1 : 0,
    id: uuid(), e: 'page_view', ts: now, sid: sid, si: si, q: seq,
    u: cut(loc.href, 2048), r: cut(d.referrer, 2048), t: cut(d.title, 512) };
  for (k in p) if (p[k] != null && p[k] !== '') u.push(k + '=' + encodeURIComponent(p[k]));
  new Image(1, 1).src = endpoint + '/v1/p.gif?' + u.join('&');
}
function safe() { try { send(); } catch (e) {} }
d.readyState == 'loading' ? d.addEventListener('DOMContentLoaded', safe) : safe();
})(window);
