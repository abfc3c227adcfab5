// The dashboard page: signs in with the bearer token, holds one live poll
// open (/api/live answers when the state moved on), and draws what comes
// back with uPlot. History and analysis load when their tab is opened.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const store = window.sessionStorage;
  let token = store.getItem('cs_dashboard_token') || '';
  let site = '';
  let range = 60;
  let version = 0;
  let poll = null;      // AbortController of the live poll in flight
  const charts = {};
  // What the page shows now, for people debugging and for tests.
  window.dashboard = { version: 0, renderedAt: 0, updates: 0, snapshot: null };

  const number = new Intl.NumberFormat('en');
  const fmt = (n) => number.format(n);
  const headers = () => ({ Authorization: 'Bearer ' + token });

  function showLogin(refused) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !refused;
    $('token').focus();
  }
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    store.setItem('cs_dashboard_token', token);
    start();
  });
  $('logout').addEventListener('click', () => {
    store.removeItem('cs_dashboard_token');
    token = '';
    if (poll) poll.abort();
    showLogin(false);
  });

  function chart(id, label, opts = {}) {
    if (charts[id]) return charts[id];
    const el = $(id);
    const width = Math.max(300, el.clientWidth || 400);
    charts[id] = new uPlot({
      width, height: 180,
      scales: { x: { time: true } },
      series: [{}, { label, stroke: opts.stroke || '#2f7fd8', fill: opts.fill || '#2f7fd822', width: 1.5 }],
      axes: [{}, { size: 50 }],
      legend: { show: false },
    }, [[], []], el);
    return charts[id];
  }

  function table(id, rows, total) {
    const body = $(id).tBodies[0];
    body.replaceChildren(...rows.map(([key, n]) => {
      const tr = document.createElement('tr');
      const k = document.createElement('td');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = total > 0 ? Math.round(60 * n / total) + 'px' : '0';
      k.append(bar, key);
      const v = document.createElement('td');
      v.className = 'n';
      v.textContent = fmt(n);
      tr.append(k, v);
      tr.dataset.key = key;
      return tr;
    }));
  }

  function render(s) {
    const t = s.totals;
    $('active-visitors').textContent = fmt(t.active_visitors);
    $('total-events').textContent = fmt(t.events);
    $('total-views').textContent = fmt(t.views);
    $('bot-share').textContent = (100 * t.bot_share).toFixed(1) + ' %';
    $('total-bots').textContent = fmt(t.bots) + ' bot events';
    $('conversions').textContent = fmt(t.conversions);
    const revenue = Object.entries(t.revenue);
    $('revenue').textContent = revenue.length === 0 ? '0'
      : revenue.map(([c, v]) => (c ? c + ' ' : '') + v.toFixed(2)).join(' · ');
    $('capped').hidden = !t.visitors_capped;

    const sel = $('site');
    const names = s.sites.join('\n');
    if (sel.dataset.names !== names) {
      sel.replaceChildren(...s.sites.map((n) => new Option(n, n)));
      sel.dataset.names = names;
    }
    if (s.site) sel.value = s.site;

    const ms = (a) => a.map((x) => x / 1000);
    chart('chart-active', 'active visitors').setData([ms(s.active_trend.t), s.active_trend.v]);
    chart('chart-eps', 'events/s', { stroke: '#d8602f', fill: '#d8602f22' })
      .setData([s.events_per_second.t, s.events_per_second.v]);
    chart('chart-views', 'views/min', { stroke: '#2fa86b', fill: '#2fa86b22' })
      .setData([ms(s.views_per_minute.t), s.views_per_minute.v]);

    for (const dim of ['pages', 'referrers', 'campaigns', 'channels', 'devices', 'browsers']) {
      const rows = s.top[dim];
      table('top-' + dim, rows, rows.reduce((a, [, n]) => a + n, 0));
    }
    const feed = $('feed').tBodies[0];
    feed.replaceChildren(...s.feed.map((e) => {
      const tr = document.createElement('tr');
      if (e.bot) tr.className = 'bot';
      tr.dataset.path = e.path;
      const cells = [new Date(e.time_ms).toLocaleTimeString(), e.type, e.path, e.name, e.channel,
        e.device, e.browser, e.bot ? (e.bot_rule || 'yes') : ''];
      tr.append(...cells.map((c) => { const td = document.createElement('td'); td.textContent = c; return td; }));
      return tr;
    }));
    window.dashboard = { version: s.version, renderedAt: Date.now(),
      updates: window.dashboard.updates + 1, snapshot: s };
    document.body.dataset.version = String(s.version);
  }

  async function live() {
    const mine = new AbortController();
    poll = mine;
    let failures = 0;
    while (poll === mine) {
      const url = `/api/live?site=${encodeURIComponent(site)}&range=${range}&after=${version}`;
      try {
        const r = await fetch(url, { headers: headers(), signal: mine.signal, cache: 'no-store' });
        if (r.status === 401) { showLogin(true); return; }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        const s = await r.json();
        if (poll !== mine) return;
        failures = 0;
        version = s.version;
        if (!site && s.site) site = s.site;
        render(s);
        $('status').textContent = 'live · ' + new Date().toLocaleTimeString();
      } catch (e) {
        if (mine.signal.aborted) return;
        failures++;
        $('status').textContent = 'reconnecting… (' + e.message + ')';
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
      }
    }
  }

  function restart() {
    if (poll) poll.abort();
    version = 0;
    live();
  }
  $('site').addEventListener('change', (e) => { site = e.target.value; restart(); loadHistory(); });
  $('range').addEventListener('change', (e) => { range = Number(e.target.value); restart(); });

  // History: sessions per hour, bounce rate and average duration from ClickHouse.
  let historyTimer = null;
  async function loadHistory() {
    if ($('history').hidden || !site) return;
    const hours = $('hours').value;
    try {
      const r = await fetch(`/api/history?site=${encodeURIComponent(site)}&hours=${hours}`,
        { headers: headers(), cache: 'no-store' });
      if (r.status === 401) return showLogin(true);
      if (!r.ok) { $('history-status').textContent = 'History unavailable: ' + (await r.text()); return; }
      const h = await r.json();
      const t = h.hours.map((x) => x.hour_ms / 1000);
      chart('chart-sessions', 'sessions').setData([t, h.hours.map((x) => x.sessions)]);
      chart('chart-bounce', 'bounce rate', { stroke: '#d8602f', fill: '#d8602f22' })
        .setData([t, h.hours.map((x) => x.bounce_rate)]);
      chart('chart-duration', 'avg duration s', { stroke: '#2fa86b', fill: '#2fa86b22' })
        .setData([t, h.hours.map((x) => x.avg_duration_ms / 1000)]);
      $('history-table').tBodies[0].replaceChildren(...h.hours.map((x) => {
        const tr = document.createElement('tr');
        for (const c of [new Date(x.hour_ms).toLocaleString(), fmt(x.sessions),
          (100 * x.bounce_rate).toFixed(1) + ' %', (x.avg_duration_ms / 1000).toFixed(1) + ' s']) {
          const td = document.createElement('td'); td.textContent = c; tr.append(td);
        }
        return tr;
      }));
      $('history-status').textContent = h.hours.length ? '' : 'No sessions in ClickHouse for this site yet.';
    } catch (e) {
      $('history-status').textContent = 'History unavailable: ' + e.message;
    }
  }
  $('hours').addEventListener('change', loadHistory);

  function tab(name) {
    for (const n of ['live', 'history', 'analysis']) {
      $(n).hidden = n !== name;
      $('tab-' + n).classList.toggle('active', n === name);
    }
    clearInterval(historyTimer);
    if (name === 'history') { loadHistory(); historyTimer = setInterval(loadHistory, 60000); }
    if (name === 'analysis' && window.dashboardAnalysis) window.dashboardAnalysis.show(site, headers());
  }
  for (const n of ['live', 'history', 'analysis']) $('tab-' + n).addEventListener('click', () => tab(n));

  async function start() {
    if (!token) return showLogin(false);
    $('login').hidden = true;
    $('app').hidden = false;
    restart();
    try {
      const r = await fetch('/api/config', { headers: headers(), cache: 'no-store' });
      if (r.ok) {
        const c = await r.json();
        $('tab-history').hidden = !c.history;
        $('tab-analysis').hidden = !c.analysis;
      }
    } catch { /* the live view works without them */ }
  }
  start();
})();
