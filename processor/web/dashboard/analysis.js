// The Analysis tab: the funnel, path and attribution answers of the analysis
// API (/api/analysis/..., docs/analysis.md) for the chosen site, drawn as a
// funnel of bars, a tree of the most common paths, and a table of credit per
// attribution model. Loaded by index.html; app.js calls show(site, headers).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat('en');
  const pct = (x) => (100 * x).toFixed(1) + ' %';
  const el = (tag, props = {}, ...kids) => {
    const e = Object.assign(document.createElement(tag), props);
    e.append(...kids);
    return e;
  };

  async function get(path, params, headers) {
    const q = new URLSearchParams(params);
    const r = await fetch(`/api/analysis/${path}?${q}`, { headers, cache: 'no-store' });
    const body = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
    if (!r.ok) throw new Error(body.error || 'HTTP ' + r.status);
    return body;
  }

  function funnel(f) {
    const box = $('funnel-chart');
    const first = f.steps.length ? Math.max(1, f.steps[0].count) : 1;
    box.replaceChildren(...f.steps.map((s, i) => {
      const row = el('div', { className: 'funnel-step' });
      row.dataset.step = s.step;
      const bar = el('span', { className: 'funnel-bar' });
      bar.style.width = Math.max(2, Math.round(100 * s.count / first)) + '%';
      row.append(el('span', { className: 'funnel-label', textContent: `${i + 1}. ${s.step}` }),
        bar, el('span', { className: 'funnel-count', textContent: `${fmt.format(s.count)} ${f.unit} · ${pct(s.conversion)}` }));
      return row;
    }));
  }

  // The top sequences as a prefix tree: each node a page with the sessions
  // that went through it on that path.
  function paths(p) {
    const rootNode = { children: new Map(), sessions: 0 };
    for (const s of p.sequences) {
      let node = rootNode;
      for (const page of s.pages) {
        if (!node.children.has(page)) node.children.set(page, { children: new Map(), sessions: 0 });
        node = node.children.get(page);
        node.sessions += s.sessions;
      }
    }
    const render = (node) => el('ul', {}, ...[...node.children.entries()]
      .sort((a, b) => b[1].sessions - a[1].sessions)
      .map(([page, child]) => {
        const li = el('li', {}, el('span', { className: 'path-page', textContent: page }),
          el('span', { className: 'path-count', textContent: ' ' + fmt.format(child.sessions) }));
        li.dataset.page = page;
        if (child.children.size) li.append(render(child));
        return li;
      }));
    $('path-tree').replaceChildren(render(rootNode));
  }

  function attribution(a) {
    const head = el('tr', {}, el('th', { textContent: a.query.by }),
      ...a.models.map((m) => el('th', { textContent: m })));
    const rows = a.rows.map((r) => {
      const tr = el('tr', {}, el('td', { textContent: r.value || '(none)' }),
        ...a.models.map((m) => el('td', { className: 'n',
          textContent: `${r.models[m].conversions.toFixed(2)} · ${r.models[m].revenue.toFixed(2)}` })));
      tr.dataset.value = r.value;
      return tr;
    });
    $('attribution-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  }

  // Each run's answers are drawn as they come; only the newest run may say
  // it is done, so an older one finishing late cannot clear "loading…".
  let generation = 0;
  async function show(site, headers) {
    const run = ++generation;
    const status = $('analysis-status');
    const steps = $('funnel-steps').value.split(',').map((s) => s.trim()).filter(Boolean);
    status.textContent = 'loading…';
    const jobs = [
      steps.length >= 2 ? get('funnel', [...steps.map((s) => ['step', s]), ['site', site]], headers).then(funnel) : Promise.resolve(),
      get('paths', { site, depth: 4, ...($('path-start').value ? { start: $('path-start').value } : {}) }, headers).then(paths),
      get('attribution', { site, by: $('attribution-by').value }, headers).then(attribution),
    ];
    const results = await Promise.allSettled(jobs);
    const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    if (run === generation) status.textContent = errors.join('; ');
  }

  let last = null;
  $('analysis-run').addEventListener('click', () => last && show(...last));
  window.dashboardAnalysis = { show: (site, headers) => { last = [site, headers]; return show(site, headers); } };
})();
