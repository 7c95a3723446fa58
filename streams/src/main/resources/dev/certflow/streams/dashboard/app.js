/* certflow dashboard: plain JavaScript over the documented query API (/v1/...), no build step.
   Times are UTC on the wire; the table shows UTC and the viewer's zone. The write token (for the
   acknowledge/silence actions, when the API reports them) is kept in memory only: never in the URL,
   in storage or in a log. */
(function () {
  'use strict';

  const POLL_MS = 5000;
  const PAGE = 50;
  const STATES = [
    ['healthy', 'Healthy'],
    ['renewal-due', 'Renewal due'],
    ['renewal-overdue', 'Renewal overdue'],
    ['renewal-failing', 'Renewal failing'],
    ['expiring', 'Expiring within the floors'],
    ['expired', 'Expired'],
    ['expiry-unknown', 'Expiry unknown'],
    ['renewed', 'Renewed, old copy still listed'],
  ];
  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  const app = {
    info: null,
    summary: null,
    view: 'overview',
    params: new URLSearchParams(),
    cursors: [null],
    chart: null,
    timeline: null,
    token: null, // the write token: memory only
    author: null, // who acknowledges or silences from this page (asked once with the token)
    timings: [],
    lastOk: null,
    firstData: false,
  };
  window.certflow = app;
  window.certflowTimings = app.timings;

  // ------------------------------------------------------------------ HTTP

  class Unavailable extends Error {
    constructor(message, retryAfter) { super(message); this.retryAfter = retryAfter; }
  }
  class Down extends Error {}

  async function api(path, init) {
    let r;
    try {
      r = await fetch(path, Object.assign({ headers: { Accept: 'application/json' }, cache: 'no-store' }, init || {}));
    } catch (e) {
      throw new Down('no answer from ' + location.host);
    }
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (r.status === 503) {
      throw new Unavailable((body && body.error) || 'not available now', Number(r.headers.get('Retry-After') || '2'));
    }
    if (!r.ok) {
      const err = new Error((body && body.error) || ('HTTP ' + r.status));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function qs(obj) {
    const p = new URLSearchParams();
    Object.entries(obj).forEach(([k, v]) => { if (v !== null && v !== undefined && v !== '') p.set(k, v); });
    const s = p.toString();
    return s ? '?' + s : '';
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    });
    children.flat().forEach(c => { if (c !== null && c !== undefined) e.append(c.nodeType ? c : document.createTextNode(String(c))); });
    return e;
  }

  const nf = new Intl.NumberFormat();
  const num = n => (n === null || n === undefined ? '–' : nf.format(n));
  const localFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
  const utc = iso => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '–');
  const local = iso => (iso ? localFmt.format(new Date(iso)) : '–');
  const day = iso => (iso ? iso.slice(0, 10) : '–');
  const badge = (label, cls) => el('span', { class: 'badge b-' + (cls || label), text: label });

  function timeEl(iso, text) {
    return iso ? el('time', { datetime: iso, title: local(iso) }, text || utc(iso)) : '–';
  }

  /** Records how long an action took until its result was on screen (read back by the browser tests and the benchmark). */
  function timed(what, t0) {
    requestAnimationFrame(() => setTimeout(() => {
      app.timings.push({ what, ms: performance.now() - t0, at: performance.now() });
    }, 0));
  }

  function feature(name) {
    return !!(app.info && app.info.features && app.info.features[name]);
  }

  function applyFeatures() {
    $$('[data-feature]').forEach(n => { n.hidden = !feature(n.dataset.feature); });
  }

  // ------------------------------------------------------------------ status and problems

  function showOk() {
    const b = $('#banner');
    b.hidden = true;
    b.textContent = '';
    $('#main').classList.remove('stale');
    app.lastOk = new Date();
    const i = app.info || {};
    const parts = ['Answered by ' + (i.instance || location.host) + ' at ' + timeFmt.format(app.lastOk)];
    if (app.summary && app.summary.updatedAt) {
      parts.push('data last changed ' + timeFmt.format(new Date(app.summary.updatedAt)));
    }
    if (i.instances && i.instances.length > 1) {
      parts.push(i.instances.length + ' instances');
    }
    $('#status').textContent = parts.join(' · ');
    $('#status').dataset.instance = i.instance || '';
  }

  function showProblem(e) {
    const b = $('#banner');
    let text;
    b.className = 'banner';
    const state = app.info && app.info.state;
    if (e instanceof Down) {
      text = 'This certflow instance (' + location.host + ') is not answering: it may be down or restarting. '
        + 'The page keeps trying every ' + POLL_MS / 1000 + ' s; any other instance serves the same page.';
      b.dataset.problem = 'down';
    } else if (e instanceof Unavailable && state && state !== 'RUNNING') {
      text = 'certflow is starting (Kafka Streams is ' + state + '): the counts appear as soon as its stores are ready. '
        + 'Retrying every ' + e.retryAfter + ' s.';
      b.className = 'banner starting';
      b.dataset.problem = 'starting';
    } else if (e instanceof Unavailable) {
      text = 'The answer would be incomplete, so none is shown: ' + e.message + '. '
        + 'Another instance may be down or the application rebalancing. Retrying every ' + e.retryAfter + ' s.';
      b.dataset.problem = 'unavailable';
    } else {
      text = 'The query API answered with an error: ' + e.message;
      b.dataset.problem = 'error';
    }
    b.textContent = text + (app.lastOk ? ' Shown: the data of ' + timeFmt.format(app.lastOk) + '.' : '');
    b.hidden = false;
    $('#main').classList.toggle('stale', !!app.lastOk);
    $('#status').textContent = app.lastOk ? 'Last answer at ' + timeFmt.format(app.lastOk) : 'No answer yet';
    if (!app.summary) {
      const cards = $('#cards');
      cards.replaceChildren(el('li', { class: 'placeholder', text: 'Waiting for certflow: ' + text }));
    }
  }

  // ------------------------------------------------------------------ routing

  function route() {
    const hash = location.hash.replace(/^#/, '');
    const [view, query] = hash.split('?');
    const known = ['overview', 'timeline', 'certificates', 'renewals', 'alerts', 'sources'];
    app.view = known.includes(view) ? view : 'overview';
    app.params = new URLSearchParams(query || '');
    $$('.view').forEach(v => { v.hidden = v.id !== 'view-' + app.view; });
    $$('nav a[data-view]').forEach(a => {
      if (a.dataset.view === app.view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    if (app.view === 'certificates') {
      app.cursors = [app.params.get('after') || null];
      syncFilterForm();
    }
    if (app.view === 'alerts') {
      $('#a-kind').value = app.params.get('kind') || '';
    }
    loadView(true).catch(showProblem);
  }

  async function loadView(fresh) {
    switch (app.view) {
      case 'overview': return; // the summary is loaded on every refresh
      case 'timeline': return loadTimeline();
      case 'certificates': return loadCertificates(fresh);
      case 'renewals': return loadRenewals(fresh);
      case 'alerts': return loadAlerts(fresh);
      case 'sources': return loadSources();
    }
  }

  // ------------------------------------------------------------------ refresh loop

  let timer = null;
  let refreshing = null;

  async function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      let delay = POLL_MS;
      try {
        app.info = await api('/v1/info');
        applyFeatures();
        const t0 = performance.now();
        app.summary = await api('/v1/summary');
        renderOverview(app.summary);
        fillFilterOptions(app.summary);
        if (!app.firstData) {
          app.firstData = true;
          requestAnimationFrame(() => setTimeout(() => {
            performance.mark('certflow-first-data');
            app.timings.push({ what: 'overview', ms: performance.now() - t0, at: performance.now() });
          }, 0));
        }
        if (app.view !== 'overview') await loadView(false);
        showOk();
      } catch (e) {
        showProblem(e);
        if (e instanceof Unavailable) delay = Math.max(1000, e.retryAfter * 1000);
      } finally {
        refreshing = null;
        clearTimeout(timer);
        timer = setTimeout(() => { if (!document.hidden) refresh(); else timer = setTimeout(refresh, POLL_MS); }, delay);
      }
    })();
    return refreshing;
  }
  app.refresh = refresh;

  // ------------------------------------------------------------------ overview

  function renderOverview(s) {
    const c = s.counts;
    const floors = (app.info && app.info.thresholdDays) || [];
    const items = [el('li', {}, el('a', { href: '#certificates', class: 's-all', 'data-state': 'all' },
      el('span', { class: 'n', 'data-count': 'total', text: num(c.total) }), el('span', { class: 'l', text: 'All certificates' })))];
    STATES.forEach(([key, label]) => {
      const text = key === 'expiring' && floors.length ? 'Expiring within ' + floors.map(d => d + ' d').join(' / ') : label;
      items.push(el('li', {}, el('a', { href: '#certificates?state=' + key, class: 's-' + key, 'data-state': key },
        el('span', { class: 'n', 'data-count': key, text: num(c[key]) }), el('span', { class: 'l', text }))));
    });
    if (feature('owners') && c.unowned !== undefined) {
      items.push(el('li', {}, el('a', { href: '#certificates?owner=-', class: 's-unowned', 'data-state': 'unowned' },
        el('span', { class: 'n', 'data-count': 'unowned', text: num(c.unowned) }), el('span', { class: 'l', text: 'Unowned' }))));
    }
    $('#cards').replaceChildren(...items);
    const alerts = Object.entries(s.alerts || {}).filter(([, n]) => n > 0).sort();
    const ac = [el('li', {}, el('a', { href: '#alerts' }, el('span', { class: 'n', 'data-count': 'alerts', text: num(s.firingAlerts || 0) }),
      el('span', { class: 'l', text: 'firing in all' })))];
    alerts.forEach(([kind, n]) => ac.push(el('li', {}, el('a', { href: '#alerts?kind=' + kind },
      el('span', { class: 'n', text: num(n) }), el('span', { class: 'l', text: kind.replace(/_/g, ' ').toLowerCase() })))));
    $('#alert-cards').replaceChildren(...ac);
  }

  // ------------------------------------------------------------------ timeline

  let timelineSeq = 0;

  async function loadTimeline() {
    const seq = ++timelineSeq;
    const t0 = performance.now();
    const days = $('input[name="range"]:checked').value;
    const by = $('#timeline-by').value;
    const t = await api('/v1/timeline' + qs({ days, bin: 7, by }));
    if (seq !== timelineSeq) return; // an answer to an older choice
    app.timeline = t;
    renderTimeline(t);
    timed('timeline', t0);
  }

  function renderTimeline(t) {
    const totals = {};
    t.bins.forEach(b => Object.entries(b.stacks).forEach(([k, v]) => { totals[k] = (totals[k] || 0) + v; }));
    const names = Object.keys(totals).sort((a, b) => totals[b] - totals[a] || a.localeCompare(b));
    const shown = names.length > 8 ? names.slice(0, 7) : names;
    const rest = names.length > 8 ? names.slice(7) : [];
    const label = name => (t.by === 'owner' && name === '-' ? 'unowned' : name);
    const series = shown.map((name, i) => ({ name, label: label(name), values: t.bins.map(b => b.stacks[name] || 0), color: PALETTE[i] }));
    if (rest.length) {
      series.push({ name: 'other (' + rest.length + ')', label: 'other (' + rest.length + ')', other: rest, values: t.bins.map(b => rest.reduce((s, n) => s + (b.stacks[n] || 0), 0)), color: PALETTE[8] });
    }
    const labels = t.bins.map(b => day(b.start));
    const markers = [{ at: t.now, label: 'now' }].concat((t.thresholdDays || []).map(d => ({
      at: new Date(Date.parse(t.now) + d * 86400000).toISOString(), label: d + ' d' })));
    const data = { labels, datasets: series.map(s => ({ label: s.label, data: s.values, backgroundColor: s.color, stack: 'expiry', _names: s.other || [s.name] })) };
    if (!window.Chart) {
      $('#timeline-caption').textContent = 'The chart library did not load; the table below has the same numbers.';
    } else if (app.chart) {
      app.chart.data = data;
      app.chart.$markers = { markers, from: t.from, binDays: t.binDays };
      app.chart.update('none');
    } else {
      app.chart = new Chart($('#timeline-chart'), {
        type: 'bar',
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          interaction: { mode: 'nearest', intersect: true },
          scales: { x: { stacked: true, title: { display: true, text: 'week starting (UTC)' } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'certificates expiring' }, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom' } },
          onHover: (evt, elements) => { if (elements.length) selectBar(elements[0].datasetIndex, elements[0].index, false); },
          onClick: (evt, elements) => { if (elements.length) selectBar(elements[0].datasetIndex, elements[0].index, true); },
        },
        plugins: [markerPlugin],
      });
      app.chart.$markers = { markers, from: t.from, binDays: t.binDays };
      app.chart.update('none');
    }
    const within = t.bins.reduce((s, b) => s + b.total, 0);
    const cap = $('#timeline-caption');
    cap.textContent = num(within) + ' certificates expire in the next ' + Math.round((Date.parse(t.to) - Date.parse(t.from)) / 86400000)
      + ' days; ' + num(t.before) + ' expired before today, ' + num(t.after) + ' expire later, ' + num(t.unknown)
      + ' have no known expiry: ' + num(t.total) + ' in the fleet.';
    Object.assign(cap.dataset, { within, before: t.before, after: t.after, unknown: t.unknown, total: t.total });
    $('#timeline-chart').setAttribute('aria-label', cap.textContent + ' Use the arrow keys to go through the bars.');
    // the same numbers as a table
    const head = el('tr', {}, el('th', { scope: 'col', text: 'week starting (UTC)' }), series.map(s => el('th', { scope: 'col', class: 'num', text: s.label })),
      el('th', { scope: 'col', class: 'num', text: 'total' }));
    const rows = t.bins.map((b, i) => el('tr', {}, el('th', { scope: 'row', text: day(b.start) }),
      series.map(s => el('td', { class: 'num', text: num(s.values[i]) })), el('td', { class: 'num', text: num(b.total) })));
    $('#timeline-table').replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
    app.timelineSeries = series;
  }

  const markerPlugin = {
    id: 'certflowMarkers',
    afterDatasetsDraw(chart) {
      const m = chart.$markers;
      if (!m || !chart.data.labels.length) return;
      const x = chart.scales.x;
      const y = chart.scales.y;
      const w = chart.data.labels.length > 1 ? x.getPixelForValue(1) - x.getPixelForValue(0) : x.width;
      const left = x.getPixelForValue(0) - w / 2;
      const ctx = chart.ctx;
      ctx.save();
      m.markers.forEach((mk, i) => {
        const bins = (Date.parse(mk.at) - Date.parse(m.from)) / (m.binDays * 86400000);
        const px = left + bins * w;
        if (px < x.left || px > x.right) return;
        ctx.strokeStyle = i === 0 ? '#9b1c1c' : '#7a4a00';
        ctx.setLineDash(i === 0 ? [] : [5, 4]);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(px, y.top);
        ctx.lineTo(px, y.bottom);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillText(mk.label, px + 3, y.top + 12 + 14 * i);
      });
      ctx.restore();
    },
  };

  let selected = null;
  let hoverTimer = null;

  function selectBar(datasetIndex, index, open) {
    const key = datasetIndex + ':' + index;
    if (app.chart) {
      const active = [{ datasetIndex, index }];
      app.chart.setActiveElements(active);
      app.chart.tooltip.setActiveElements(active, { x: 0, y: 0 });
      app.chart.update('none');
    }
    if (selected === key && !open) return;
    selected = key;
    clearTimeout(hoverTimer);
    hoverTimer = setTimeout(() => barDetail(datasetIndex, index, open).catch(showProblem), 120);
  }

  async function barDetail(datasetIndex, index, open) {
    const t = app.timeline;
    const s = app.timelineSeries[datasetIndex];
    const bin = t.bins[index];
    const by = t.by;
    const filter = { expiresFrom: bin.start, expiresBefore: bin.end, sort: 'expiry', size: 20 };
    if (!s.other) filter[by] = s.name;
    const target = '#certificates' + qs(Object.assign({}, filter, { size: null, sort: null }));
    if (open) {
      location.hash = target;
      return;
    }
    const t0 = performance.now();
    const page = await api('/v1/certificates' + qs(filter));
    const n = s.values[index];
    const title = 'Week of ' + day(bin.start) + (s.other ? ', all ' + by + 's' : ', ' + by + ' ' + s.label) + ': '
      + num(s.other ? bin.total : n) + ' certificate' + ((s.other ? bin.total : n) === 1 ? '' : 's');
    const list = el('ul', { 'data-bar': datasetIndex + ':' + index }, page.items.map(r => el('li', {},
      el('button', { type: 'button', class: 'linkish', onclick: () => openDetail(r.key) }, r.name || r.key), ' ',
      el('span', { class: 'sans', text: utc(r.notAfter) + (r.tenant ? ' · ' + r.tenant : '') }))));
    const more = page.more ? el('p', {}, el('a', { href: target, text: 'Show all of them in the table' })) : null;
    $('#bar-detail').replaceChildren(...[el('h3', { text: title }), list, more].filter(Boolean));
    timed('bar', t0);
  }

  function chartKeys(e) {
    if (!app.chart || !app.timelineSeries) return;
    const bins = app.chart.data.labels.length;
    const sets = app.timelineSeries.length;
    if (!bins || !sets) return;
    let [d, i] = selected ? selected.split(':').map(Number) : [0, 0];
    if (e.type === 'focus') {
      const first = app.timeline.bins.findIndex(b => b.total > 0);
      i = Math.max(0, first);
      d = Math.max(0, app.timelineSeries.findIndex(s => s.values[i] > 0));
      selectBar(d, i, false);
      return;
    }
    const keys = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowUp: [1, 0], ArrowDown: [-1, 0] };
    if (keys[e.key]) {
      e.preventDefault();
      d = (d + keys[e.key][0] + sets) % sets;
      i = (i + keys[e.key][1] + bins) % bins;
      selectBar(d, i, false);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      selectBar(d, i, true);
    }
  }

  // ------------------------------------------------------------------ certificates

  const FILTERS = ['q', 'state', 'tenant', 'source', 'kind', 'renewal', 'owner'];

  function fillFilterOptions(s) {
    const st = $('#f-state');
    if (st.options.length === 1) {
      STATES.forEach(([k, l]) => st.append(el('option', { value: k, text: l })));
    }
    fillSelect($('#f-tenant'), s.tenants.map(t => [t.name, (t.name === '-' ? '(no tenant)' : t.name) + ' (' + num(t.count) + ')']));
    fillSelect($('#f-source'), s.sources.map(t => [t.name, t.name + ' (' + num(t.count) + ')']));
    if (s.owners) {
      fillSelect($('#f-owner'), [['-', 'unowned (' + num(s.counts.unowned) + ')']].concat(s.owners.map(o => [o.name, o.name + ' (' + num(o.count) + ')'])));
    }
    fillSelect($('#a-kind'), Object.keys(s.alerts || {}).sort().map(k => [k, k]));
  }

  function fillSelect(sel, options) {
    const want = JSON.stringify(options);
    if (sel.dataset.options === want) return;
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '', text: 'any' }), ...options.map(([v, l]) => el('option', { value: v, text: l })));
    sel.dataset.options = want;
    const wanted = sel.dataset.wanted || keep;
    if (wanted && options.some(([v]) => v === wanted)) sel.value = wanted;
  }

  function syncFilterForm() {
    FILTERS.forEach(f => {
      const input = $('#f-' + f);
      if (!input) return;
      const v = app.params.get(f) || '';
      if (input.tagName === 'SELECT') {
        input.dataset.wanted = v;
        if (v && !Array.from(input.options).some(o => o.value === v)) input.append(el('option', { value: v, text: v }));
      }
      if (input.value !== v && document.activeElement !== input) input.value = v;
    });
    const sort = app.params.get('sort') || 'expiry';
    const order = app.params.get('order') || 'asc';
    $$('#cert-table th[aria-sort]').forEach(th => {
      const b = th.querySelector('button');
      th.setAttribute('aria-sort', b && b.dataset.sort === sort ? (order === 'desc' ? 'descending' : 'ascending') : 'none');
    });
  }

  function setParams(changes, keepCursor) {
    const p = new URLSearchParams(app.params);
    Object.entries(changes).forEach(([k, v]) => { if (v === null || v === '') p.delete(k); else p.set(k, v); });
    if (!keepCursor) p.delete('after');
    const s = p.toString();
    const hash = '#certificates' + (s ? '?' + s : '');
    if (location.hash !== hash) location.hash = hash; else route();
  }

  function certQuery(extra) {
    const p = {};
    ['q', 'state', 'tenant', 'source', 'kind', 'renewal', 'owner', 'expiresFrom', 'expiresBefore', 'sort', 'order']
      .forEach(k => { if (app.params.get(k)) p[k] = app.params.get(k); });
    return Object.assign(p, { size: PAGE }, extra || {});
  }

  let certSeq = 0;

  async function loadCertificates() {
    const seq = ++certSeq;
    const t0 = performance.now();
    const after = app.cursors[app.cursors.length - 1];
    const page = await api('/v1/certificates' + qs(certQuery({ after })));
    if (seq !== certSeq) return; // a newer request is on its way
    renderCertificates(page);
    timed('certificates', t0);
  }

  function renderCertificates(page) {
    const owners = feature('owners');
    const rows = page.items.map(r => {
      const tr = el('tr', { class: 'clickable', 'data-key': r.key, onclick: e => { if (!e.target.closest('button')) openDetail(r.key); } },
        el('td', {}, el('button', { type: 'button', class: 'linkish name', onclick: () => openDetail(r.key) }, r.name || r.key),
          r.sans && r.sans.length ? el('div', { class: 'sans', text: r.sans.join(', ') }) : null),
        el('td', { class: 'nowrap', text: r.tenant || '–' }),
        el('td', { class: 'nowrap', text: r.source }),
        el('td', { text: r.kind }),
        owners ? el('td', { text: r.owner || 'unowned' }) : null,
        el('td', {}, timeEl(r.notAfter)),
        el('td', { text: local(r.notAfter) }),
        el('td', { class: 'num', text: r.daysLeft === null ? '–' : r.daysLeft }),
        el('td', { text: r.renewalStatus || '–' }),
        el('td', {}, attemptText(r.lastAttempt)),
        el('td', {}, (r.states || []).map(s => badge(s))));
      return tr;
    });
    if (!rows.length) {
      rows.push(el('tr', {}, el('td', { colspan: owners ? 12 : 11, text: 'No certificate matches.' })));
    }
    $('#cert-table tbody').replaceChildren(...rows);
    const n = app.cursors.length;
    const from = page.items.length ? (n - 1) * PAGE + 1 : 0;
    const to = (n - 1) * PAGE + page.items.length;
    let text = page.count !== null && page.count !== undefined
      ? 'Certificates ' + num(from) + '–' + num(to) + ' of ' + num(page.count)
      : 'Certificates ' + num(from) + '–' + num(to);
    if (app.params.get('expiresFrom') || app.params.get('expiresBefore')) {
      text += ', expiring ' + day(app.params.get('expiresFrom')) + ' to ' + day(app.params.get('expiresBefore'));
    }
    if (page.truncated) text += '. Too many match the search to list them all: make it longer to narrow it.';
    if (page.partial) text += '. Only part of the fleet was searched for this page: Next goes on.';
    $('#cert-count').textContent = text;
    $('#cert-count').dataset.count = page.count === null || page.count === undefined ? '' : page.count;
    $('#cert-page').textContent = 'Page ' + n + (page.count ? ' of ' + num(Math.max(1, Math.ceil(page.count / PAGE))) : '');
    $('#cert-prev').disabled = n <= 1;
    $('#cert-first').disabled = n <= 1;
    $('#cert-next').disabled = !page.next;
    app.certNext = page.next;
  }

  function attemptText(a) {
    if (!a) return '–';
    return el('span', {}, badge(a.status, a.status === 'FAILED' ? 'renewal-failing' : a.status === 'SUCCEEDED' ? 'healthy' : 'renewal-due'),
      ' ', timeEl(a.at, day(a.at)), a.code ? el('div', { class: 'sans', text: a.code }) : null);
  }

  // ------------------------------------------------------------------ renewals

  const more = { failing: [null], overdue: [null] };

  async function loadRenewals(fresh) {
    const t0 = performance.now();
    if (fresh) { more.failing = [null]; more.overdue = [null]; }
    const [failing, overdue] = await Promise.all([
      api('/v1/certificates' + qs({ state: 'renewal-failing', size: PAGE * more.failing.length })),
      api('/v1/certificates' + qs({ state: 'renewal-overdue', size: PAGE * more.overdue.length })),
    ]);
    $('#failing-count').textContent = num(failing.count) + ' certificates whose latest renewal failed with no later success.';
    $('#failing-table').replaceChildren(el('thead', {}, el('tr', {}, ['Certificate', 'Tenant', 'Source', 'Failures', 'Last error code', 'Last error', 'Last failure', 'Expires (UTC)']
      .map(h => el('th', { scope: 'col', text: h })))), el('tbody', {}, failing.items.map(r => el('tr', { 'data-key': r.key },
      el('td', {}, el('button', { type: 'button', class: 'linkish', onclick: () => openDetail(r.key) }, r.name || r.key)),
      el('td', { text: r.tenant || '–' }), el('td', { text: r.source }),
      el('td', { class: 'num', text: r.failing ? r.failing.consecutiveFailures : '–' }),
      el('td', { class: 'mono', text: r.failing && r.failing.lastErrorCode || '–' }),
      el('td', { text: r.failing && r.failing.lastErrorMessage || '–' }),
      el('td', {}, r.failing ? timeEl(r.failing.lastFailureAt) : '–'),
      el('td', {}, timeEl(r.notAfter))))));
    $('#failing-more').hidden = !failing.more;
    $('#overdue-count').textContent = num(overdue.count) + ' certificates past their expected renewal point plus grace with no renewal seen.';
    $('#overdue-table').replaceChildren(el('thead', {}, el('tr', {}, ['Certificate', 'Tenant', 'Source', 'Expected renewal', 'Overdue since', 'Expires (UTC)', 'Days left', 'Last attempt', 'Last error']
      .map(h => el('th', { scope: 'col', text: h })))), el('tbody', {}, overdue.items.map(r => el('tr', { 'data-key': r.key },
      el('td', {}, el('button', { type: 'button', class: 'linkish', onclick: () => openDetail(r.key) }, r.name || r.key)),
      el('td', { text: r.tenant || '–' }), el('td', { text: r.source }),
      el('td', {}, timeEl(r.expectedRenewalAt)), el('td', {}, timeEl(r.renewalOverdueAt)),
      el('td', {}, timeEl(r.notAfter)), el('td', { class: 'num', text: r.daysLeft === null ? '–' : r.daysLeft }),
      el('td', {}, attemptText(r.lastAttempt)),
      el('td', { text: r.failing ? (r.failing.lastErrorCode || '') + ' ' + (r.failing.lastErrorMessage || '') : '–' })))));
    $('#overdue-more').hidden = !overdue.more;
    timed('renewals', t0);
  }

  // ------------------------------------------------------------------ alerts

  let alertPages = 1;

  async function loadAlerts(fresh) {
    const t0 = performance.now();
    if (fresh) alertPages = 1;
    const kind = app.params.get('kind') || '';
    const page = await api('/v1/alerts' + qs({ kind, size: 100 * alertPages }));
    const acks = feature('acknowledgements');
    const silences = feature('silences');
    const owners = feature('owners');
    const head = ['Severity', 'Kind', 'Certificate or source', 'Tenant', 'Source'].concat(owners ? ['Owner'] : [], ['Summary', 'Fired (UTC)'],
      acks || silences ? ['Actions'] : []);
    $('#alert-table').replaceChildren(el('thead', {}, el('tr', {}, head.map(h => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, page.items.map(a => el('tr', { 'data-alert': a.alertId, 'data-acknowledged': a.acknowledgedAt ? 'true' : null },
        el('td', {}, badge(a.severity)), el('td', { text: a.kind }),
        el('td', {}, a.certificateKey ? el('button', { type: 'button', class: 'linkish', onclick: () => openDetail(a.certificateKey) }, a.certificate || a.certificateKey) : a.sourceName),
        el('td', { text: a.tenant || '–' }), el('td', { text: a.sourceName + ' (' + a.sourceKind + ')' }),
        owners ? el('td', { text: a.owner || 'unowned' }) : null,
        el('td', { text: a.summary }), el('td', {}, timeEl(a.firedAt)),
        acks || silences ? el('td', {}, acks ? acknowledged(a) : null,
          silences ? el('button', { type: 'button', 'data-action': 'silence', onclick: () => silence(a) }, 'Silence 2 h') : null) : null))));
    $('#alert-count').textContent = num(page.items.length) + (page.more ? '+' : '') + ' firing alerts' + (kind ? ' of kind ' + kind : '');
    $('#alert-more').hidden = !page.more;
    timed('alerts', t0);
  }

  /** An acknowledged alert says who and when; the others offer the action. */
  function acknowledged(a) {
    if (a.acknowledgedAt) {
      return el('span', { class: 'acked' }, badge('acknowledged', 'healthy'), ' ',
        (a.acknowledgedBy ? 'acknowledged by ' + a.acknowledgedBy : 'acknowledged') + ' at ', timeEl(a.acknowledgedAt), ' ');
    }
    return el('button', { type: 'button', 'data-action': 'ack', onclick: () => acknowledge(a) }, 'Acknowledge');
  }

  /** The write token for acknowledge/silence, asked once and kept in this page's memory only; and who is acting. */
  function writeToken() {
    if (!app.token) {
      const t = window.prompt('The certflow write token (kept in this page only, never stored):');
      app.token = t && t.trim() ? t.trim() : null;
      if (app.token && !app.author) {
        const who = window.prompt('Your name, recorded with acknowledgements and silences:', 'dashboard');
        app.author = who && who.trim() ? who.trim() : 'dashboard';
      }
    }
    return app.token;
  }

  async function write(path, body) {
    const token = writeToken();
    if (!token) return;
    try {
      await api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify(body(app.author)) });
      await loadAlerts(false);
    } catch (e) {
      if (e.status === 401 || e.status === 403) app.token = null;
      showProblem(e);
    }
  }

  function acknowledge(a) {
    return write('/v1/alerts/' + encodeURIComponent(a.alertId) + '/ack', by => ({ acknowledgedBy: by, comment: 'acknowledged from the dashboard' }));
  }

  function silence(a) {
    const matchers = a.certificateKey ? [{ name: 'certificate_key', value: a.certificateKey, op: 'EQUAL' }]
      : [{ name: 'source', value: a.sourceName, op: 'EQUAL' }];
    // the server's clock decides when it starts (a simulated clock may run ahead of the viewer's)
    return write('/v1/silences', by => ({ matchers, duration: '2h', createdBy: by, comment: 'silenced from the dashboard: ' + a.kind + ' ' + (a.certificate || a.sourceName) }));
  }

  // ------------------------------------------------------------------ sources

  async function loadSources() {
    const t0 = performance.now();
    const s = await api('/v1/sources');
    $('#source-table').replaceChildren(el('thead', {}, el('tr', {}, ['Source', 'Kind', 'Last poll (UTC)', 'Outcome', 'Seen', 'Changed', 'Removed', 'Item errors', 'Consecutive failures', 'Last success', 'Error']
      .map(h => el('th', { scope: 'col', text: h })))), el('tbody', {}, s.items.map(x => el('tr', { 'data-source': x.sourceName },
      el('th', { scope: 'row' }, x.sourceName, x.down ? [' ', badge('SOURCE_DOWN', 'down')] : null),
      el('td', { text: x.sourceKind.toLowerCase() }),
      el('td', {}, timeEl(x.pollFinishedAt)),
      el('td', {}, badge(x.outcome, x.outcome === 'FAILED' ? 'renewal-failing' : x.outcome === 'SUCCESS' ? 'healthy' : 'renewal-overdue')),
      el('td', { class: 'num', text: num(x.certificatesSeen) }), el('td', { class: 'num', text: num(x.certificatesChanged) }),
      el('td', { class: 'num', text: num(x.certificatesRemoved) }), el('td', { class: 'num', text: num(x.itemErrors) }),
      el('td', { class: 'num', text: num(x.consecutiveFailures) }),
      el('td', {}, timeEl(x.lastSuccessAt)),
      el('td', { text: x.errorKind ? x.errorKind + (x.errorMessage ? ': ' + x.errorMessage : '') : '–' })))));
    if (!s.items.length) {
      $('#source-table').append(el('tbody', {}, el('tr', {}, el('td', { colspan: 11, text: 'No poll has been reported yet.' }))));
    }
    timed('sources', t0);
  }

  // ------------------------------------------------------------------ detail

  async function openDetail(key) {
    const t0 = performance.now();
    const d = $('#detail');
    const c = await api('/v1/certificates/' + encodeURIComponent(key));
    const cert = c.certificate;
    const r = c.renewal || {};
    const kv = (k, v) => [el('dt', { text: k }), el('dd', {}, v === null || v === undefined || v === '' ? '–' : v)];
    $('#detail-title').textContent = cert.name || cert.commonName || key;
    const history = (c.history || []).map(h => el('tr', {},
      el('td', {}, timeEl(h.at)), el('td', { text: h.type === 'attempt' ? 'attempt ' + (h.kind || '') : h.type === 'alert' ? h.kind : 'expiry' }),
      el('td', {}, badge(h.status, h.status === 'FAILED' || h.status === 'FIRING' ? 'renewal-failing' : h.status === 'SUCCEEDED' || h.status === 'RESOLVED' || h.status === 'renewed' ? 'healthy' : 'renewal-due')),
      el('td', { text: h.type === 'expiry' ? (h.previousNotAfter ? utc(h.previousNotAfter) + ' → ' : '') + utc(h.notAfter)
        : [h.code, h.text, h.notAfter ? 'issued expiry ' + utc(h.notAfter) : null].filter(Boolean).join(' · ') })));
    $('#detail-body').replaceChildren(
      el('dl', { class: 'kv' },
        kv('Key', el('span', { class: 'mono', text: key })),
        kv('Common name', cert.commonName), kv('SANs', (cert.sans || []).join(', ')),
        kv('Tenant', cert.key.tenant), kv('Source', cert.key.sourceName + ' (' + cert.key.sourceKind.toLowerCase() + ')'),
        feature('owners') ? kv('Owner', c.owner || 'unowned') : [],
        kv('Issuer', cert.issuer), kv('Expires', cert.notAfter ? utc(cert.notAfter) + ' · ' + local(cert.notAfter) : cert.expiryStatus),
        kv('Days left', c.daysLeft), kv('States', (c.states || []).map(s => badge(s))),
        kv('Renewal', [r.renewalStatus, r.renewalPolicy ? '(' + r.renewalPolicy + ')' : null].filter(Boolean).join(' ')),
        kv('Expected renewal', r.expectedRenewalAt ? utc(r.expectedRenewalAt) : null),
        kv('Overdue from', r.renewalOverdueAt ? utc(r.renewalOverdueAt) : null),
        kv('Replaced by', r.replacedBy),
        kv('Failing', c.failedRenewal ? c.failedRenewal.consecutiveFailures + ' failures, last ' + (c.failedRenewal.lastErrorCode || '') + ' '
          + (c.failedRenewal.lastErrorMessage || '') : null)),
      el('h3', { text: 'History (newest first, last 50)' }),
      history.length ? el('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'History' },
        el('table', { class: 'data', id: 'history-table' }, el('thead', {}, el('tr', {}, ['When (UTC)', 'What', 'Status', 'Detail'].map(h => el('th', { scope: 'col', text: h })))),
          el('tbody', {}, history))) : el('p', { text: 'No attempt or alert recorded yet.' }));
    if (!d.open) d.showModal();
    timed('detail', t0);
  }
  app.openDetail = openDetail;

  // ------------------------------------------------------------------ wiring

  function wire() {
    window.addEventListener('hashchange', route);
    $('#timeline-controls').addEventListener('change', () => { selected = null; loadTimeline().catch(showProblem); });
    const chart = $('#timeline-chart');
    chart.addEventListener('keydown', chartKeys);
    chart.addEventListener('focus', chartKeys);
    let debounce = null;
    $('#f-q').addEventListener('input', e => {
      clearTimeout(debounce);
      debounce = setTimeout(() => setParams({ q: e.target.value.trim() }), 250);
    });
    $('#filters').addEventListener('submit', e => { e.preventDefault(); setParams({ q: $('#f-q').value.trim() }); });
    ['state', 'tenant', 'source', 'kind', 'renewal', 'owner'].forEach(f => {
      $('#f-' + f).addEventListener('change', e => { e.target.dataset.wanted = e.target.value; setParams({ [f]: e.target.value }); });
    });
    $('#filters').addEventListener('reset', e => {
      e.preventDefault();
      location.hash = '#certificates';
    });
    $$('#cert-table th button[data-sort]').forEach(b => b.addEventListener('click', () => {
      const cur = app.params.get('sort') || 'expiry';
      const order = cur === b.dataset.sort && (app.params.get('order') || 'asc') === 'asc' ? 'desc' : 'asc';
      setParams({ sort: b.dataset.sort === 'expiry' ? null : b.dataset.sort, order: order === 'asc' ? null : order });
    }));
    $('#cert-next').addEventListener('click', () => { if (app.certNext) { app.cursors.push(app.certNext); loadCertificates().catch(showProblem); } });
    $('#cert-prev').addEventListener('click', () => { if (app.cursors.length > 1) { app.cursors.pop(); loadCertificates().catch(showProblem); } });
    $('#cert-first').addEventListener('click', () => { app.cursors = [null]; loadCertificates().catch(showProblem); });
    $('#failing-more').addEventListener('click', () => { more.failing.push(null); loadRenewals(false).catch(showProblem); });
    $('#overdue-more').addEventListener('click', () => { more.overdue.push(null); loadRenewals(false).catch(showProblem); });
    $('#alert-more').addEventListener('click', () => { alertPages++; loadAlerts(false).catch(showProblem); });
    $('#a-kind').addEventListener('change', e => { location.hash = '#alerts' + (e.target.value ? '?kind=' + e.target.value : ''); });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  }

  wire();
  route();
  refresh();
})();
