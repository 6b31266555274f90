// The operators' page of cil serve: plain JavaScript against the /v1 API, no build step.
// Every string from the API is put into the page as text (textContent), never as HTML.

const $ = (id) => document.getElementById(id);
const SVG_NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2458c6', '#d9480f', '#2f9e44', '#ae3ec9', '#0c8599', '#e8590c', '#5c940d', '#c2255c', '#1864ab', '#862e9c'];
const TOKEN_KEY = 'cil.token';
const CLASSIFIER_KEY = 'cil.classifier';
const POLL_MS = 2000;

const state = { token: '', classifier: '', poll: null };

class ApiError extends Error {
  constructor(status, field, message) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

// DOM helpers

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  return append(el, children);
}

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) el.setAttribute(k, v);
  }
  return append(el, children);
}

function fill(id, ...children) {
  const el = $(id);
  el.replaceChildren();
  return append(el, children);
}

// formatting

const int = (n) => Number(n).toLocaleString('en-US');
const pct = (a) => (a === null || a === undefined || Number.isNaN(a) ? '–' : `${Number(a).toFixed(1)}%`);
const when = (iso) => (iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : '–');

function bytes(n) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${int(v)} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

function badge(kind, text = kind) {
  return h('span', { class: `badge ${kind}` }, text);
}

function errorBox(err) {
  if (err instanceof ApiError) {
    return h('p', { class: 'error', role: 'alert' }, h('strong', {}, String(err.status)), ' ',
      err.field ? [h('code', {}, err.field), ': '] : '', err.message);
  }
  return h('p', { class: 'error', role: 'alert' }, String(err && err.message ? err.message : err));
}

function showError(err) {
  const box = $('error');
  box.hidden = !err;
  box.replaceChildren();
  if (err) box.append(errorBox(err));
}

// the API

async function api(method, path, { json, body, contentType } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  let r;
  try {
    r = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new Error(`the service did not answer ${method} ${path}: ${e.message}`);
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!r.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(e.status || r.status, e.field || null, e.message || text || r.statusText);
  }
  return data;
}

const cpath = (suffix = '') => `/v1/classifiers/${encodeURIComponent(state.classifier)}${suffix}`;

// start: token and classifier from the address (#token=...&classifier=... or ?token=...), else localStorage

function readAddress() {
  const found = {};
  for (const src of [location.search.slice(1), location.hash.slice(1)]) {
    const p = new URLSearchParams(src);
    for (const k of ['token', 'classifier']) {
      if (p.get(k)) found[k] = p.get(k);
    }
  }
  return found;
}

function writeAddress() {
  const hash = state.classifier ? `#classifier=${encodeURIComponent(state.classifier)}` : '';
  history.replaceState(null, '', location.pathname + hash); // never leaves the token in the address
}

async function start() {
  const addr = readAddress();
  if (addr.token) localStorage.setItem(TOKEN_KEY, addr.token);
  state.token = localStorage.getItem(TOKEN_KEY) || '';
  state.classifier = addr.classifier || localStorage.getItem(CLASSIFIER_KEY) || '';
  writeAddress();
  $('token').value = state.token;
  $('connect').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    localStorage.setItem(TOKEN_KEY, state.token);
    loadClassifiers();
  });
  $('classifier').addEventListener('change', () => choose($('classifier').value));
  window.addEventListener('hashchange', () => {
    const c = readAddress().classifier;
    if (c && c !== state.classifier) choose(c);
  });
  $('start-phase').addEventListener('click', startPhase);
  $('upload-form').addEventListener('submit', upload);
  $('predict-form').addEventListener('submit', predict);
  await loadClassifiers();
}

async function loadClassifiers() {
  const select = $('classifier');
  if (!state.token) {
    document.body.dataset.state = 'need-token';
    showError(new Error('Enter a token (the admin token printed at the first start, or one made by POST /v1/tokens).'));
    return;
  }
  try {
    const { classifiers } = await api('GET', '/v1/classifiers');
    select.replaceChildren(...(classifiers.length ? [] : [h('option', { value: '' }, 'none yet')]),
      ...classifiers.map((c) => h('option', { value: c.name }, c.name)));
    select.disabled = classifiers.length === 0;
    if (!classifiers.length) {
      $('main').hidden = true;
      showError(new Error('No classifier yet: create one with POST /v1/classifiers (see /openapi.json).'));
      document.body.dataset.state = 'ready';
      return;
    }
    const names = classifiers.map((c) => c.name);
    await choose(names.includes(state.classifier) ? state.classifier : names[0]);
  } catch (e) {
    fail(e);
  }
}

async function choose(name) {
  state.classifier = name;
  $('classifier').value = name;
  localStorage.setItem(CLASSIFIER_KEY, name);
  writeAddress();
  for (const id of ['phase-result', 'versions-result', 'upload-result', 'predict-result']) fill(id);
  await refresh();
}

async function refresh() {
  document.body.dataset.state = 'loading';
  try {
    const [c, storage, classes, versions, jobs] = await Promise.all([
      api('GET', cpath()),
      api('GET', cpath('/storage')),
      api('GET', cpath('/classes')),
      api('GET', cpath('/versions')),
      api('GET', cpath('/jobs')),
    ]);
    showError(null);
    renderOverview(c);
    renderStorage(storage, classes.classes);
    renderVersions(versions.versions);
    renderJob(jobs.jobs.length ? jobs.jobs[jobs.jobs.length - 1] : null);
    $('main').hidden = false;
    document.body.dataset.state = 'ready';
  } catch (e) {
    fail(e);
  }
}

function fail(e) {
  showError(e);
  document.body.dataset.state = 'error';
}

// sections

function renderOverview(c) {
  const sp = c.spec;
  const params = Object.keys(sp.method.params || {}).length ? ` ${JSON.stringify(sp.method.params)}` : '';
  const fact = (dt, ...dd) => h('div', {}, h('dt', {}, dt), h('dd', {}, ...dd));
  fill('facts',
    fact('Name', c.name),
    fact('Active version', c.activeVersion === null ? h('span', { class: 'muted' }, 'none yet') : `v${c.activeVersion}`),
    fact('Method', sp.method.name + params),
    fact('Model', `${sp.model.arch}, ${sp.imageSize}×${sp.imageSize}×${sp.channels} (${sp.preset})`),
    fact('Recipe', `${sp.train.epochs} epoch${sp.train.epochs === 1 ? '' : 's'} per phase, batch ${sp.train.batchSize}, lr ${sp.train.lr}`),
    fact('Storage budget', `${int(sp.storageBudgetBytes)} bytes`),
    fact('Validation share', `${Math.round(sp.validationShare * 100)}%`),
    fact('Gate', `old classes drop ≤ ${sp.gate.maxOldAccuracyDrop} points, accuracy ≥ ${sp.gate.minAccuracy}%`),
    fact('Created', when(c.createdAt)));
}

function renderStorage(st, classes) {
  const learned = new Map(classes.map((c) => [c.classId, c.learned]));
  const budget = Math.max(1, st.budgetBytes);
  const used = (c) => c.keptBytes + c.validationBytes;
  const color = (i) => COLORS[i % COLORS.length];
  const share = Math.round((1000 * st.keptBytes) / budget) / 10;
  const bar = h('div', {
    class: `bar${st.withinBudget ? '' : ' over'}`, role: 'meter', 'aria-valuemin': 0,
    'aria-valuemax': st.budgetBytes, 'aria-valuenow': st.keptBytes, 'aria-label': 'kept bytes against the budget',
  }, st.classes.map((c, i) => h('span', {
    style: `width:${Math.min(100, (100 * used(c)) / budget)}%;background:${color(i)}`,
    title: `${c.class}: ${int(used(c))} bytes`,
  })));
  const summary = h('p', { id: 'storage-summary' },
    h('strong', { id: 'kept-bytes' }, int(st.keptBytes)), ' of ', h('strong', { id: 'budget-bytes' }, int(st.budgetBytes)),
    ` bytes kept (${share}%)`, st.withinBudget ? '' : h('strong', { class: 'error' }, ' over budget'),
    h('br'), h('span', { class: 'muted' }, `one sample: ${int(st.sampleBytes)} bytes · active model: ${bytes(st.modelBytes)} · `
      + `all versions: ${bytes(st.allVersionsBytes)}`));
  if (!st.classes.length) {
    fill('storage-body', bar, summary, h('p', { class: 'empty' }, 'No classes yet: upload labelled images below.'));
    return;
  }
  const num = (v) => h('td', { class: 'num' }, int(v));
  const table = h('table', { id: 'classes-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Class'), h('th', { class: 'num' }, 'Id'), h('th', {}, 'Learned'),
      h('th', { class: 'num' }, 'Kept'), h('th', { class: 'num' }, 'Validation'), h('th', { class: 'num' }, 'Pending'),
      h('th', { class: 'num' }, 'Bytes kept'))),
    h('tbody', {}, st.classes.map((c, i) => h('tr', { class: c.forgotten ? 'forgotten' : null, 'data-class-id': c.classId },
      h('td', {}, h('span', { class: 'swatch', style: `background:${color(i)}` }), c.class, c.forgotten ? ' (forgotten)' : ''),
      num(c.classId),
      h('td', {}, learned.get(c.classId) ? 'yes' : h('span', { class: 'muted' }, 'not yet')),
      num(c.keptSamples), num(c.validationSamples), num(c.pendingSamples), num(used(c))))));
  fill('storage-body', bar, summary, table);
}

function status(v) {
  if (v.active) return 'active';
  return v.metrics && v.metrics.gate && v.metrics.gate.passed === false ? 'candidate' : 'inactive';
}

function renderVersions(versions) {
  if (!versions.length) {
    fill('versions-body', h('p', { class: 'empty' },
      'No version yet: upload samples of at least one new class and start a phase.'));
    return;
  }
  const rows = versions.map((v) => {
    const st = status(v);
    const gate = (v.metrics && v.metrics.gate) || {};
    return h('tr', { 'data-version': v.version, 'data-status': st },
      h('td', {}, h('strong', {}, `v${v.version}`)),
      h('td', {}, badge(st)),
      h('td', { class: 'num' }, int(v.classes)),
      h('td', { class: 'num accuracy' }, pct(v.metrics.accuracy)),
      h('td', { class: 'num' }, pct(v.metrics.newAccuracy)),
      h('td', {}, gate.reason || ''),
      h('td', {}, when(v.createdAt)),
      h('td', {}, v.active ? '' : h('button', {
        type: 'button', class: 'secondary', title: 'make this version answer predictions (admin scope)',
        onclick: () => activate(v.version),
      }, 'Activate')));
  });
  fill('versions-body', accuracyChart(versions),
    h('table', { id: 'versions-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Status'), h('th', { class: 'num' }, 'Classes'),
        h('th', { class: 'num' }, 'Accuracy'), h('th', { class: 'num' }, 'New classes'), h('th', {}, 'Gate'),
        h('th', {}, 'Made'), h('th', {}, ''))),
      h('tbody', {}, rows)));
}

// Accuracy after each phase: all classes (thick) and each phase's classes (thin), one point per version.
function accuracyChart(versions) {
  const W = 760;
  const H = 250;
  const m = { l: 46, r: 24, t: 22, b: 34 };
  const n = versions.length;
  const x = (i) => (n === 1 ? (m.l + W - m.r) / 2 : m.l + ((W - m.l - m.r) * i) / (n - 1));
  const y = (a) => m.t + ((100 - a) / 100) * (H - m.t - m.b);
  const ok = (a) => typeof a === 'number' && !Number.isNaN(a);
  const svg = s('svg', { id: 'accuracy-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': 'Validation accuracy of each version, on all classes and on each phase\'s classes' });
  svg.append(s('title', {}, 'Accuracy after each phase'));
  for (const a of [0, 25, 50, 75, 100]) {
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(a), y2: y(a), stroke: '#e3e7ee' }),
      s('text', { x: m.l - 8, y: y(a) + 4, 'text-anchor': 'end' }, `${a}%`));
  }
  versions.forEach((v, i) => svg.append(s('text', { x: x(i), y: H - m.b + 18, 'text-anchor': 'middle' }, `v${v.version}`)));
  svg.append(s('text', { x: (m.l + W - m.r) / 2, y: H - 4, 'text-anchor': 'middle' }, 'version'));

  const line = (pts, attrs) => (pts.length > 1
    ? s('polyline', { points: pts.map(([px, py]) => `${px},${py}`).join(' '), fill: 'none', ...attrs }) : null);
  const phases = Math.max(0, ...versions.map((v) => (v.metrics.accuracyPerPhase || []).length));
  const legend = [];
  for (let p = 0; p < phases; p++) {
    const color = COLORS[p % COLORS.length];
    const pts = [];
    versions.forEach((v, i) => {
      const a = (v.metrics.accuracyPerPhase || [])[p];
      if (ok(a)) pts.push([x(i), y(a), v, a]);
    });
    const g = s('g', { class: 'series phase', 'data-phase': p + 1 });
    append(g, [line(pts, { stroke: color, 'stroke-width': 1.5, 'stroke-dasharray': '5 3' })]);
    for (const [px, py, v, a] of pts) {
      g.append(s('circle', { cx: px, cy: py, r: 3, fill: color },
        s('title', {}, `v${v.version}: ${pct(a)} on the classes of phase ${p + 1}`)));
    }
    svg.append(g);
    legend.push(h('span', {}, h('span', { class: 'swatch', style: `background:${color}` }), `classes of phase ${p + 1}`));
  }
  const all = [];
  versions.forEach((v, i) => {
    if (ok(v.metrics.accuracy)) all.push([x(i), y(v.metrics.accuracy), v]);
  });
  const g = s('g', { class: 'series all' });
  append(g, [line(all, { stroke: '#1d2330', 'stroke-width': 2.5 })]);
  for (const [px, py, v] of all) {
    const st = status(v);
    const style = { active: { fill: '#1d7a46', stroke: '#fff' }, candidate: { fill: '#fff', stroke: '#a15c00' },
      inactive: { fill: '#1d2330', stroke: '#fff' } }[st];
    g.append(s('circle', { cx: px, cy: py, r: st === 'active' ? 7 : 5, 'stroke-width': 2, ...style, 'data-version': v.version,
      'data-status': st }, s('title', {}, `v${v.version} (${st}): ${pct(v.metrics.accuracy)} on all classes`)));
    if (st !== 'inactive') {
      const right = px > (m.l + W - m.r) / 2; // label on the side with room
      g.append(s('text', { class: 'mark', x: right ? px - 10 : px + 10, y: py - 10, 'text-anchor': right ? 'end' : 'start',
        style: `fill:${st === 'active' ? style.fill : style.stroke};font-weight:600` }, `${st} ${pct(v.metrics.accuracy)}`));
    }
  }
  svg.append(g);
  legend.unshift(h('span', {}, h('span', { class: 'swatch', style: 'background:#1d2330' }), 'all classes'));
  return h('figure', {}, svg, h('figcaption', {}, legend));
}

function renderJob(job) {
  clearTimeout(state.poll);
  const running = job && (job.state === 'queued' || job.state === 'running');
  $('start-phase').disabled = !!running;
  if (!job) {
    fill('phase-body', h('p', { class: 'empty' }, 'No phase has run yet.'));
    return;
  }
  const p = job.progress || {};
  const facts = [['State', badge(job.state)]];
  if (p.phase) facts.push(['Phase', String(p.phase)]); // while it runs; a finished job keeps no progress
  facts.push(['Started', when(job.createdAt)], ['Updated', when(job.updatedAt)]);
  if (job.version !== undefined) facts.push(['Made', `v${job.version}`]);
  if (p.stage) facts.push(['Stage', p.stage]);
  if (p.epoch) facts.push(['Epoch', `${p.epoch} of ${p.epochs}`]);
  if (typeof p.loss === 'number') facts.push(['Loss', p.loss.toFixed(4)]);
  if (running && typeof p.stageEtaSeconds === 'number') {
    facts.push(['Stage ETA', p.stageEtaSeconds < 0 ? 'estimating' : `${p.stageEtaSeconds} s`]);
  }
  fill('phase-body',
    h('dl', { class: 'facts', id: 'job', 'data-job': job.id, 'data-state': job.state },
      facts.map(([dt, dd]) => h('div', {}, h('dt', {}, dt), h('dd', {}, dd)))),
    running ? h('p', {}, h('progress', { max: 1, value: p.stageFraction || 0, 'aria-label': 'stage progress' })) : null,
    job.state === 'failed' ? h('p', { class: 'error' }, `The phase failed: ${job.error || 'no reason recorded'}`) : null);
  if (running) {
    state.poll = setTimeout(() => pollJob(job.id), POLL_MS);
  }
}

async function pollJob(id) {
  try {
    const job = await api('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    if (job.state === 'done' || job.state === 'failed') {
      await refresh(); // a new version, new storage figures
      fill('phase-result', job.state === 'done' ? h('p', { class: 'ok' }, `The phase made v${job.version}.`) : null);
    } else {
      renderJob(job);
    }
  } catch (e) {
    fill('phase-result', errorBox(e));
    state.poll = setTimeout(() => pollJob(id), POLL_MS * 3);
  }
}

// actions

async function startPhase() {
  fill('phase-result');
  try {
    const job = await api('POST', cpath('/phases'));
    renderJob(job);
    fill('phase-result', h('p', { class: 'ok' }, 'Phase started.'));
  } catch (e) {
    fill('phase-result', errorBox(e));
  }
}

async function activate(version) {
  fill('versions-result');
  try {
    await api('POST', cpath(`/versions/${version}/activate`));
    await refresh();
    fill('versions-result', h('p', { class: 'ok' }, `v${version} is active.`));
  } catch (e) {
    fill('versions-result', errorBox(e));
  }
}

function base64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error(`cannot read ${file.name}`));
    r.readAsDataURL(file);
  });
}

async function upload(ev) {
  ev.preventDefault();
  fill('upload-result');
  const files = [...$('upload-files').files];
  const label = $('upload-label').value.trim();
  const source = $('upload-source').value.trim();
  const button = ev.submitter || ev.target.querySelector('button');
  button.disabled = true;
  try {
    const samples = [];
    for (const f of files) {
      samples.push({ label, image: await base64(f), ...(source ? { sourceId: source } : {}) });
    }
    const r = await api('POST', cpath('/samples'), { json: { samples } });
    const first = r.samples[0];
    await refresh();
    fill('upload-result', h('p', { class: 'ok' },
      `Stored ${r.samples.length} sample${r.samples.length === 1 ? '' : 's'} of “${first.class}” (class id ${first.classId}); `
      + 'the next phase learns them.'));
    ev.target.reset();
  } catch (e) {
    fill('upload-result', errorBox(e));
  } finally {
    button.disabled = false;
  }
}

async function predict(ev) {
  ev.preventDefault();
  fill('predict-result');
  const file = $('predict-file').files[0];
  if (!file) return;
  const k = $('predict-k').value || '3';
  try {
    const r = await api('POST', cpath(`/predict?topK=${encodeURIComponent(k)}`),
      { body: file, contentType: file.type || 'application/octet-stream' });
    const top = r.predictions[0].top;
    fill('predict-result', h('div', { class: 'preview' },
      h('img', { src: URL.createObjectURL(file), alt: file.name }),
      h('div', { style: 'flex:1' },
        h('p', {}, 'Answered by ', h('strong', { id: 'answered-by' }, `v${r.version}`)),
        h('table', { id: 'predict-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Class'), h('th', { class: 'num' }, 'Id'), h('th', { class: 'num' }, 'Score'))),
          h('tbody', {}, top.map((t) => h('tr', {}, h('td', {}, t.class), h('td', { class: 'num' }, String(t.classId)),
            h('td', { class: 'num' }, pct(100 * t.score)))))))));
  } catch (e) {
    fill('predict-result', errorBox(e));
  }
}

start();
