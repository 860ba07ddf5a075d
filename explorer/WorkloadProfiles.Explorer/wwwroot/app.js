// WorkloadProfiles explorer: a dependency-free single page over /api. Everything the API returns is rendered with
// textContent (never innerHTML), and the token lives in sessionStorage for this tab only.
'use strict';

const TOKEN_KEY = 'wp.explorer.token';
const view = document.getElementById('view');
const panel = document.getElementById('panel');
const panelBody = document.getElementById('panel-body');

// ---------------------------------------------------------------- DOM and formatting

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const plural = (count, noun, many) => `${Number(count).toLocaleString('en-US')} ${count === 1 ? noun : many || `${noun}s`}`;
const pct = value => `${Math.round((value ?? 0) * 100)}%`;
const when = iso => iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
const seg = text => encodeURIComponent(text);
const profilePath = (image, tag) => `/profiles/${seg(image)}/${seg(tag)}`;

// A commonality bar; with a threshold, a tick marks it (the suggestion threshold the value is judged against).
function commonality(value, title, threshold) {
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(1, value ?? 0)) * 100}%`;
  const level = value >= 0.8 ? '' : value >= 0.5 ? ' mid' : ' low';
  const bar = h('span', { class: `bar${level}` }, fill);
  if (threshold !== undefined && threshold !== null) {
    const tick = h('span', { class: 'threshold', title: `Threshold ${pct(threshold)}` });
    tick.style.left = `${threshold * 100}%`;
    bar.append(tick);
  }
  return h('span', { class: 'commonality', title: title || 'Behaviour commonality' }, bar, h('span', { class: 'pct' }, pct(value)));
}

const statusBadge = status => h('span', { class: `badge ${String(status).toLowerCase()}` }, status || 'none');
const severityBadge = severity => h('span', { class: `badge sev-${String(severity).toLowerCase()}` }, severity);
const yesNo = (value, yes = 'yes', no = 'no') => h('span', { class: `badge ${value ? 'yes' : 'no'}` }, value ? yes : no);
const link = (href, ...text) => h('a', { href, dataset: { link: '' } }, ...text);

function table(columns, rows, rowAttrs, empty) {
  if (rows.length === 0) return h('div', { class: 'empty' }, empty || 'Nothing here yet.');
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {}, c.title)))),
    h('tbody', {}, rows.map(row => h('tr', rowAttrs ? rowAttrs(row) : {}, columns.map(c => h('td', {}, c.cell(row)))))));
}

function stat(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(p => p).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// ---------------------------------------------------------------- token and API

function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) { showLogin(); throw new ApiError(401, 'Sign in first.'); }
  const response = await fetch(`/api${path}`, {
    ...options,
    headers: { Accept: 'application/json', Authorization: `Bearer ${token}`, ...(options.headers || {}) },
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('The token was not accepted.');
    throw new ApiError(401, 'The token was not accepted.');
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      message = problem.errors ? Object.values(problem.errors).flat().join(' ')
        : response.status >= 500 ? [problem.title, problem.detail].filter(Boolean).join(' ') : (problem.detail || problem.title || message);
    } catch { /* not a problem body */ }
    throw new ApiError(response.status, message);
  }
  return options.raw ? response : response.json();
}

function showLogin(message) {
  document.getElementById('login').hidden = false;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('token-input').focus();
}

document.getElementById('login-form').addEventListener('submit', event => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value.trim());
  document.getElementById('token-input').value = '';
  document.getElementById('login').hidden = true;
  route();
});

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  view.replaceChildren();
  closePanel();
  showLogin();
});

async function download(path, fallbackName) {
  const response = await api(path, { raw: true, headers: { Accept: '*/*' } });
  const disposition = response.headers.get('Content-Disposition') || '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const anchor = h('a', { href: url, download: name });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- routing

function navigate(path) {
  history.pushState(null, '', path);
  route();
}

// Replaces the address without a new history entry: a selection or a filter typed in place, so the link can be shared.
function remember(path) {
  history.replaceState(null, '', path);
}

document.addEventListener('click', event => {
  const anchor = event.target.closest('a[data-link]');
  if (!anchor || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href'));
});
window.addEventListener('popstate', route);
document.getElementById('panel-close').addEventListener('click', () => closePanel(true));

function setActiveNav(section) {
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === section);
}

// Each route() is a new generation; a view whose data arrives after a newer route started draws nothing, so quick
// filter changes never leave an older answer on the screen.
let routeGeneration = 0;
const superseded = generation => generation !== routeGeneration;

async function route() {
  routeGeneration++;
  if (!sessionStorage.getItem(TOKEN_KEY)) { showLogin(); return; }
  document.getElementById('sign-out').hidden = false;
  const parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  closePanel();
  destroyCharts();
  try {
    if (parts[0] === 'profiles' && parts.length >= 5 && parts[3] === 'compare') await renderCompare(parts[1], parts[2], parts[4]);
    else if (parts[0] === 'profiles' && parts.length >= 3) await renderProfile(parts[1], parts[2]);
    else if (parts[0] === 'signals' && parts[1] === 'group' && parts.length >= 5) await renderSignalGroup(parts[2], parts[3], parts[4]);
    else if (parts[0] === 'signals') await renderSignals(parts[1]);
    else if (parts[0] === 'suppressions') await renderSuppressions();
    else await renderImages(new URLSearchParams(location.search).get('image'));
  } catch (error) {
    if (error.status !== 401) view.replaceChildren(h('div', { class: 'card error' }, error.message));
  }
}

// ---------------------------------------------------------------- keyboard

// Global keys: ? help, / search of the view, g then p/s/u to go to a section, Esc closes. In lists: j/k or ↑/↓ move
// between rows, Enter opens, → and ← open and close a group, [ and ] change page. The tree has its own keys (tree.js).
let pendingG = false;
document.addEventListener('keydown', event => {
  const typing = event.target.closest('input, select, textarea');
  if (event.key === 'Escape') {
    if (!help.hidden) { help.hidden = true; return; }
    if (typing) { event.target.blur(); return; }
    if (!panel.hidden) { closePanel(true); return; }
    return;
  }
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  if (pendingG) {
    pendingG = false;
    const target = { p: '/', s: '/signals', u: '/suppressions' }[event.key];
    if (target) { event.preventDefault(); navigate(target); }
    return;
  }
  switch (event.key) {
    case '?': help.hidden = !help.hidden; event.preventDefault(); return;
    case 'g': pendingG = true; setTimeout(() => { pendingG = false; }, 1200); return;
    case '/': {
      const search = view.querySelector('[data-search]');
      if (search) { event.preventDefault(); search.focus(); search.select?.(); }
      return;
    }
    case '[': case ']': {
      const button = view.querySelector(event.key === '[' ? '[data-page="prev"]:not(:disabled)' : '[data-page="next"]:not(:disabled)');
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    default: break;
  }
  if (event.target.closest('[role="tree"]')) return;
  const rows = [...view.querySelectorAll('[data-row]')].filter(row => row.offsetParent !== null);
  if (rows.length === 0) return;
  const current = event.target.closest('[data-row]');
  const at = rows.indexOf(current);
  const focusRow = index => { const row = rows[Math.max(0, Math.min(rows.length - 1, index))]; for (const r of rows) r.tabIndex = -1; row.tabIndex = 0; row.focus(); };
  switch (event.key) {
    case 'j': case 'ArrowDown': focusRow(at + 1); break;
    case 'k': case 'ArrowUp': focusRow(at < 0 ? 0 : at - 1); break;
    case 'Enter': if (current) current.click(); else return; break;
    case 'ArrowRight': if (current?.dataset.expandable && current.getAttribute('aria-expanded') !== 'true') current.click(); else return; break;
    case 'ArrowLeft': if (current?.dataset.expandable && current.getAttribute('aria-expanded') === 'true') current.click(); else return; break;
    default: return;
  }
  event.preventDefault();
});

const help = h('div', { id: 'help', class: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts', hidden: true },
  h('div', { class: 'help-card' },
    h('h2', {}, 'Keyboard shortcuts'),
    kv([
      [h('kbd', {}, '?'), 'this help'],
      [h('span', {}, h('kbd', {}, 'g'), ' ', h('kbd', {}, 'p'), ' / ', h('kbd', {}, 's'), ' / ', h('kbd', {}, 'u')), 'go to Security Profiles, Signals, Suppressions'],
      [h('kbd', {}, '/'), 'search or filter of the page'],
      [h('span', {}, h('kbd', {}, 'j'), ' ', h('kbd', {}, 'k'), ' or ', h('kbd', {}, '↓'), ' ', h('kbd', {}, '↑')), 'next / previous row or tree node'],
      [h('kbd', {}, 'Enter'), 'open the row, group or node'],
      [h('span', {}, h('kbd', {}, '→'), ' ', h('kbd', {}, '←')), 'expand / collapse a group or tree node'],
      [h('span', {}, h('kbd', {}, '['), ' ', h('kbd', {}, ']')), 'previous / next page'],
      [h('kbd', {}, 'Esc'), 'close the side panel or this help'],
    ]),
    h('p', { class: 'muted' }, 'Every view, filter, group and selection is in the address: copy it into a ticket to link straight to it.')));
document.body.append(help);
help.addEventListener('click', event => { if (event.target === help) help.hidden = true; });

const rowAttrs = (extra = {}) => ({ tabindex: '-1', dataset: { row: '', ...(extra.dataset || {}) }, ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'dataset')) });

// ---------------------------------------------------------------- Security Profiles (grouped by image)

async function renderImages(expand) {
  setActiveNav('profiles');
  const generation = routeGeneration;
  const images = await api('/images');
  if (superseded(generation)) return;
  const body = h('tbody');
  for (const image of images) {
    const caret = h('span', { class: 'caret' }, '▸');
    const row = h('tr', rowAttrs({ class: 'clickable image-row', 'aria-expanded': 'false', dataset: { image: image.imageName, expandable: '1' } }),
      h('td', {}, caret, h('strong', {}, image.imageName)),
      h('td', {}, plural(image.versions, 'version')),
      h('td', {}, statusBadge(image.latestStatus), ' ', h('span', { class: 'muted mono' }, image.latestTag)),
      h('td', {}, commonality(image.latestCommonality, 'Profile commonality of the latest version')),
      h('td', {}, image.snapshotCount),
      h('td', {}, image.runningContainers),
      h('td', {}, when(image.lastUpdated)));
    let versions = null;
    row.addEventListener('click', async () => {
      if (versions) {
        versions.forEach(v => v.remove()); versions = null; caret.classList.remove('open'); row.setAttribute('aria-expanded', 'false');
        remember('/');
        return;
      }
      caret.classList.add('open');
      row.setAttribute('aria-expanded', 'true');
      remember(`/?image=${seg(image.imageName)}`);
      const profiles = await api(`/images/${seg(image.imageName)}/profiles`);
      versions = profiles.map(p => h('tr', rowAttrs({ class: 'version clickable', dataset: { tag: p.imageTag }, onclick: () => navigate(profilePath(p.imageName, p.imageTag)) }),
        h('td', {}, link(profilePath(p.imageName, p.imageTag), h('span', { class: 'mono' }, `${p.imageName}:${p.imageTag}`))),
        h('td', { class: 'muted' }, plural(p.signals, 'related signal')),
        h('td', {}, statusBadge(p.status)),
        h('td', {}, commonality(p.commonality, 'Profile commonality')),
        h('td', {}, p.snapshotCount),
        h('td', {}, p.runningContainers),
        h('td', {}, when(p.lastUpdated))));
      row.after(...versions);
    });
    body.append(row);
    if (image.imageName === expand) queueMicrotask(() => row.click());
  }
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Security Profiles'), h('span', { class: 'muted' }, 'One behaviour model per image version, learned from activity snapshots.'),
      h('span', { class: 'spacer' }), h('span', { class: 'muted hint' }, 'Press ', h('kbd', {}, '?'), ' for keyboard shortcuts')),
    h('div', { class: 'card' }, images.length === 0 ? h('div', { class: 'empty' }, 'No profiles yet: the pipeline has not merged any snapshot.') :
      h('table', { id: 'images' },
        h('thead', {}, h('tr', {}, ['Image', 'Versions', 'Latest status', 'Commonality', 'Snapshots', 'Running containers', 'Last update'].map(t => h('th', {}, t)))),
        body)));
}

// ---------------------------------------------------------------- Profile detail

async function renderProfile(image, tag) {
  setActiveNav('profiles');
  const params = new URLSearchParams(location.search);
  const base = profilePath(image, tag);
  const generation = routeGeneration;
  const [detail, activity] = await Promise.all([api(base), api(`${base}/activity`)]);
  if (superseded(generation)) return;
  const p = detail.profile;
  const others = detail.versions.filter(v => v !== tag);
  const compare = h('select', { id: 'compare-with', 'aria-label': 'Compare with version' },
    h('option', { value: '' }, others.length ? 'Compare with version…' : 'No other version'),
    others.map(v => h('option', { value: v }, v)));
  compare.disabled = others.length === 0;
  compare.addEventListener('change', () => { if (compare.value) navigate(`${base}/compare/${seg(compare.value)}`); });

  const remembered = () => {
    const next = new URLSearchParams();
    if (search.value.trim()) next.set('q', search.value.trim());
    if (selectedNode) next.set('node', selectedNode);
    return next.size ? `${base}?${next}` : base;
  };
  let selectedNode = null;
  const tree = activityTree(detail.processes, (node, kind, ancestors) => {
    selectedNode = node.id;
    remember(remembered());
    openPanel(kind === 'process' ? processPanel(node, p) : leafPanel(node, kind, ancestors, p));
  });
  const search = h('input', { type: 'search', id: 'tree-search', placeholder: 'Search the tree (/)', 'aria-label': 'Search the tree', dataset: { search: '' } });
  const found = h('span', { class: 'muted', id: 'tree-matches' });
  let matchIndex = 0;
  const runSearch = () => {
    const count = tree.search(search.value);
    matchIndex = 0;
    found.textContent = search.value.trim() ? plural(count, 'match', 'matches') : '';
    remember(remembered());
  };
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', event => {
    if (event.key === 'Enter') { event.preventDefault(); tree.nextMatch(event.shiftKey ? --matchIndex : matchIndex++); }
  });
  const kindToggles = LEAF_KINDS.map(([, kind]) => {
    const box = h('input', { type: 'checkbox', checked: true, dataset: { kind } });
    box.addEventListener('change', () => {
      tree.setKinds(new Set(kindToggles.filter(t => !t.checked).map(t => t.dataset.kind)));
      runSearch();
    });
    return box;
  });

  const charts = profileCharts(activity, p);
  view.replaceChildren(
    h('div', { class: 'crumbs' }, link(`/?image=${seg(image)}`, 'Security Profiles'), ' / ', image),
    h('div', { class: 'page-head' },
      h('h1', { class: 'mono' }, `${image}:${tag}`), statusBadge(p.status), h('span', { class: 'spacer' }), compare,
      h('button', { type: 'button', onclick: () => download(`${base}/export.json`, 'profile.json') }, 'Export JSON'),
      h('button', { type: 'button', onclick: () => download(`${base}/export/falco.yaml`, 'falco.yaml') }, 'Falco exceptions'),
      h('button', { type: 'button', onclick: () => download(`${base}/export/networkpolicy.yaml`, 'networkpolicy.yaml') }, 'NetworkPolicy')),
    h('div', { class: 'stats' },
      stat('Profile commonality', commonality(p.commonality)),
      stat('Snapshots', p.snapshotCount),
      stat('Containers', p.containerCount),
      stat('Hosts', p.hostCount),
      stat('Behaviours', p.nodeCount),
      stat('Last update', when(p.lastUpdated))),
    p.droppedNodes > 0 ? h('p', { class: 'callout warning', id: 'dropped-nodes' },
      `This profile reached its size bound: ${p.droppedNodes} new behaviours were not taken, so it is not the whole story.`) : null,
    learningCard(activity.learning),
    h('div', { class: 'chart-grid' }, charts),
    h('div', { class: 'card' },
      h('h2', {}, 'Activity tree'),
      h('div', { class: 'tree-tools' }, search, found,
        h('span', { class: 'spacer' }),
        kindToggles.map(box => h('label', { class: 'chip' }, box, ' ', KIND_LABELS[box.dataset.kind])),
        h('button', { type: 'button', onclick: () => tree.expandAll(true) }, 'Expand all'),
        h('button', { type: 'button', onclick: () => tree.expandAll(false) }, 'Collapse all')),
      h('div', { class: 'legend' }, 'Processes with the files, DNS names and connections they used; bars show the share of snapshots that contain each behaviour. ',
        'Use ↑ ↓ → ← to move, Enter for details.'),
      detail.nodesTruncated ? h('p', { class: 'error' }, `Showing the first ${detail.nodesRead} behaviours only.`) : null,
      detail.unattachedNodes ? h('p', { class: 'muted' }, `${detail.unattachedNodes} behaviours could not be placed in the tree.`) : null,
      detail.processes.length ? tree.element : h('div', { class: 'empty' }, 'No process recorded.')),
    timelineEvents(activity.events),
    h('div', { class: 'card' }, h('h2', {}, `Related signals (${p.signals})`),
      h('div', { class: 'legend' }, p.signals > 10 ? 'The 10 latest. ' : '', link(`/signals?image=${seg(image)}&tag=${seg(tag)}`, 'Open them grouped in Signals →')),
      table([
        { title: 'Time', cell: s => when(s.timestamp) },
        { title: 'Severity', cell: s => severityBadge(s.severity) },
        { title: 'Rule', cell: s => link(`/signals/${seg(s.signalId)}`, s.ruleName) },
        { title: 'Behaviour', cell: s => h('span', { class: 'mono' }, s.behaviourDetail || s.behaviourProcess) },
        { title: 'Suggestion', cell: s => yesNo(s.hasSuggestion, 'suppressible', 'none') },
      ], detail.signals.slice(0, 10))),
    h('div', { class: 'card' }, h('h2', {}, `Running containers of ${image}`),
      table([
        { title: 'Container', cell: c => h('span', { class: 'mono' }, c.name || c.containerId) },
        { title: 'Pod', cell: c => podCell(c.pod) },
        { title: 'Version', cell: c => h('span', { class: 'mono' }, c.imageTag) },
        { title: 'Host', cell: c => c.hostName },
        { title: 'Profiled now', cell: c => yesNo(c.profiled) },
        { title: 'Started', cell: c => when(c.startedAt) },
      ], detail.containers, c => ({ class: 'container-row', dataset: { profiled: String(c.profiled) } }))),
    h('div', { class: 'card' }, h('h2', {}, `Activity snapshots (${detail.snapshots.length})`),
      table([
        { title: 'Window', cell: s => when(s.windowStart) },
        { title: 'Container', cell: s => h('span', { class: 'mono' }, s.containerId) },
        { title: 'Host', cell: s => s.hostName },
        { title: 'Events', cell: s => s.eventCount },
        { title: 'Behaviours', cell: s => s.nodeCount },
        { title: 'Complete', cell: s => yesNo(!s.truncated, 'yes', `truncated (${s.droppedNodes} dropped)`) },
      ], detail.snapshots)));
  for (const card of charts) card.mount();

  if (params.get('q')) { search.value = params.get('q'); runSearch(); }
  if (params.get('node') && !tree.select(params.get('node'))) {
    view.prepend(h('div', { class: 'card error' }, `No behaviour ${params.get('node')} in this profile.`));
  }
}

function learningCard(l) {
  const snapshotShare = l.snapshotCount / l.stableSnapshotCount;
  const timeShare = l.hoursLearning / l.stableAfterHours;
  const scaled = l.timeScale !== 1 ? ` (time-scaled ÷${l.timeScale})` : '';
  const status = l.stableSince
    ? h('p', { id: 'stable-since' }, statusBadge('Stable'), ` since ${when(l.stableSince)}, reached by the `,
      h('strong', {}, l.stableBy === 'snapshots' ? `snapshot rule (${l.stableSnapshotCount} snapshots)` : `time rule (${hours(l.stableAfterHours)} after the first snapshot)`),
      '. A Stable profile merges no more activity; a new image version starts a new profile.')
    : h('p', { id: 'stable-since' }, statusBadge('Learning'), ' Stable after ',
      h('strong', {}, plural(Math.max(0, l.stableSnapshotCount - l.snapshotCount), 'more snapshot')), ' or at the latest on ',
      h('strong', {}, when(l.stableAtLatest)), ', whichever comes first.');
  return h('div', { class: 'card', id: 'learning' },
    h('h2', {}, 'Learning progress toward Stable'),
    progress('progress-snapshots', snapshotShare, `${l.snapshotCount.toLocaleString('en-US')} of ${l.stableSnapshotCount.toLocaleString('en-US')} snapshots`),
    progress('progress-time', timeShare, `${hours(l.hoursLearning)} of ${hours(l.stableAfterHours)} since the first snapshot${scaled}`),
    status);
}

function hours(value) {
  if (value < 1) return `${Math.round(value * 60)} min`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} h`;
}

function profileCharts(activity, profile) {
  const x = activity.buckets.map(b => Date.parse(b.start) / 1000);
  const bucket = activity.bucketSeconds >= 3600 ? `${activity.bucketSeconds / 3600} h` : `${activity.bucketSeconds / 60} min`;
  const markers = activity.events.filter(e => e.kind === 'stable' || e.kind === 'learning')
    .map(e => ({ x: Date.parse(e.time) / 1000, label: e.kind === 'stable' ? 'Stable' : 'learning starts', colour: e.kind === 'stable' ? '#1f9d63' : '#3a7bd5' }));
  const l = activity.learning;
  const snapshots = chartCard({
    id: 'chart-snapshots', title: 'Snapshots over time', note: `Snapshots merged per ${bucket} window, and in all; the dashed line is the Stable count (${l.stableSnapshotCount}).`,
    x, time: true, xLabel: 'Window',
    bars: [{ label: 'Snapshots', values: activity.buckets.map(b => b.snapshots), colour: '#5b4bdb' }],
    lines: [{ label: 'Snapshots in all', values: activity.buckets.map(b => b.snapshotsTotal), colour: '#1c2330', scale: 'total' }],
    hLines: [{ y: l.stableSnapshotCount, label: `Stable at ${l.stableSnapshotCount}`, scale: 'total', fit: l.stableSnapshotCount <= 4 * Math.max(1, profile.snapshotCount) }],
    markers, yLabel: 'per window', y2Label: 'in all',
  });
  const containers = chartCard({
    id: 'chart-containers', title: 'Containers over time', note: `Containers whose snapshots were merged, per ${bucket}, and distinct containers in all.`,
    x, time: true, xLabel: 'Window',
    bars: [{ label: 'Containers', values: activity.buckets.map(b => b.containers), colour: '#3a7bd5' }],
    lines: [{ label: 'Containers in all', values: activity.buckets.map(b => b.containersTotal), colour: '#1c2330', scale: 'total' }],
    markers, yLabel: 'per window', y2Label: 'in all',
  });
  const deciles = activity.commonality.map((_, i) => i);
  const commonalityChart = chartCard({
    id: 'chart-commonality', title: 'Commonality distribution',
    note: `Behaviours by the share of snapshots that contain them; suggestions need ${pct(activity.suggestionThreshold)} or more.`,
    x: deciles, time: false, xLabel: 'Commonality', stack: true,
    xFormat: i => `${i * 10}–${i === 9 ? 100 : i * 10 + 10}%`,
    bars: KINDS.map(kind => ({ label: KIND_LABELS[kind], values: activity.commonality.map(b => b.nodes[kind]), colour: KIND_COLOURS[kind] })),
    markers: [{ x: activity.suggestionThreshold * 10 - 0.5, label: `threshold ${pct(activity.suggestionThreshold)}`, colour: '#d2453d' }],
    yLabel: 'behaviours',
  });
  const timeline = chartCard({
    id: 'chart-timeline', title: 'Activity timeline', note: `Behaviours first seen per ${bucket} (by kind) and signals raised on this version.`,
    x, time: true, xLabel: 'Time', stack: true,
    bars: KINDS.map(kind => ({ label: `New ${KIND_LABELS[kind].toLowerCase()}`, values: activity.buckets.map(b => b.newBehaviours[kind]), colour: KIND_COLOURS[kind] })),
    lines: [{ label: 'Signals', values: activity.buckets.map(b => b.signals), colour: '#d2453d', scale: 'total' }],
    markers, yLabel: 'new behaviours', y2Label: 'signals',
  });
  return [snapshots, containers, commonalityChart, timeline];
}

function timelineEvents(events) {
  return h('div', { class: 'card', id: 'timeline-events' }, h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' }, events.map(e => h('li', { dataset: { kind: e.kind } },
      h('span', { class: 'when' }, when(e.time)), h('span', { class: `badge event-${e.kind}` }, e.kind), ' ', e.text))));
}

function leafTable(leaves, withAccess) {
  return table([
    { title: 'Behaviour', cell: l => h('span', { class: 'mono' }, l.key) },
    withAccess ? { title: 'Access', cell: l => l.access || '—' } : null,
    { title: 'Snapshots', cell: l => commonality(l.commonality, 'Share of snapshots') },
    { title: 'Containers', cell: l => commonality(l.containerCommonality, 'Share of containers') },
  ].filter(Boolean), leaves);
}

function seenIn(node, profile) {
  return `${node.snapshotCount} of ${profile.snapshotCount} snapshots, ${node.containerCount} of ${profile.containerCount} containers`;
}

function processPanel(process, profile) {
  return [
    h('h2', { class: 'mono' }, process.key),
    kv([
      ['Executable', h('span', { class: 'mono' }, process.executable)],
      ['Commonality (snapshots)', commonality(process.commonality)],
      ['Commonality (containers)', commonality(process.containerCommonality)],
      ['Seen in', seenIn(process, profile)],
      ['Events', process.eventCount],
      ['First / last seen', `${when(process.firstSeen)} – ${when(process.lastSeen)}`],
      ['Node id', h('code', {}, process.id)],
    ]),
    // Argument signatures arrive with the API once profiles keep them; shown when present.
    process.signatures ? [h('h3', {}, `Argument signatures (${process.signatures.length})`), table([
      { title: 'Signature', cell: s => h('span', { class: 'mono' }, s.signature ?? s.key ?? String(s)) },
      { title: 'Snapshots', cell: s => s.commonality !== undefined ? commonality(s.commonality) : (s.snapshotCount ?? '—') },
    ], process.signatures)] : null,
    h('h3', {}, `Files (${process.files.length})`), leafTable(process.files, true),
    h('h3', {}, `DNS (${process.dns.length})`), leafTable(process.dns, false),
    h('h3', {}, `Network (${process.network.length})`), leafTable(process.network, false),
  ].flat().filter(Boolean);
}

function leafPanel(leaf, kind, ancestors, profile) {
  const what = { file: 'File', dns: 'DNS question', network: 'Network connection' }[kind];
  return [
    h('div', { class: 'page-head' }, h('span', { class: `badge kind k-${kind}` }, KIND_BADGES[kind]), h('h2', { class: 'mono' }, leaf.key)),
    kv([
      ['Behaviour', what],
      ['Done by', h('span', { class: 'mono' }, ancestors.map(a => a.key).join(' › '))],
      kind === 'file' ? ['Access', leaf.access || '—'] : null,
      ['Commonality (snapshots)', commonality(leaf.commonality)],
      ['Commonality (containers)', commonality(leaf.containerCommonality)],
      ['Seen in', seenIn(leaf, profile)],
      ['Events', leaf.eventCount],
      ['First / last seen', `${when(leaf.firstSeen)} – ${when(leaf.lastSeen)}`],
      ['Node id', h('code', {}, leaf.id)],
    ]),
  ];
}

// ---------------------------------------------------------------- Compare

async function renderCompare(image, tag, other) {
  setActiveNav('profiles');
  const generation = routeGeneration;
  const result = await api(`/profiles/${seg(image)}/${seg(tag)}/compare/${seg(other)}`);
  if (superseded(generation)) return;
  const newer = result.newerTag;
  const older = result.olderTag;
  const columns = profileTag => [
    { title: 'Kind', cell: c => h('span', { class: `badge kind k-${c.kind}` }, c.kind) },
    { title: 'Behaviour', cell: c => link(`${profilePath(image, profileTag)}?node=${c.id}`, h('span', { class: 'mono' }, c.path)) },
    { title: 'Commonality', cell: c => commonality(c.commonality) },
  ];
  const byKind = h('table', { id: 'counts-by-kind', class: 'compact' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, `Added in ${newer}`), h('th', {}, `Removed since ${older}`))),
    h('tbody', {}, KINDS.map(kind => h('tr', { dataset: { kind } },
      h('td', {}, h('span', { class: `badge kind k-${kind}` }, KIND_LABELS[kind])),
      h('td', { class: 'added-count' }, result.addedByKind[kind] ? `+${result.addedByKind[kind]}` : '0'),
      h('td', { class: 'removed-count' }, result.removedByKind[kind] ? `−${result.removedByKind[kind]}` : '0')))));
  const rule = result.newerBy === 'version' ? 'by version number' : 'its profile started later';
  view.replaceChildren(
    h('div', { class: 'crumbs' }, link(`/?image=${seg(image)}`, 'Security Profiles'), ' / ', link(profilePath(image, tag), `${image}:${tag}`)),
    h('div', { class: 'page-head' }, h('h1', { id: 'compare-title' }, `${image}: ${older} → ${newer}`),
      h('span', { class: 'muted' }, `${newer} is the newer version (${rule}); changes are what ${newer} does differently.`)),
    h('div', { class: 'stats' },
      stat(`Added in ${newer}`, h('span', { class: 'good' }, `+${result.added.length}`)),
      stat(`Removed since ${older}`, h('span', { class: 'bad' }, `−${result.removed.length}`)),
      stat('In both', result.unchanged)),
    h('div', { class: 'card' }, h('h2', {}, 'Changes by kind'), byKind),
    h('div', { class: 'card', id: 'added' }, h('h2', {}, `Added in ${newer} (newer)`),
      table(columns(newer), result.added, () => ({ class: 'diff-add' }), `${newer} does nothing that ${older} did not.`)),
    h('div', { class: 'card', id: 'removed' }, h('h2', {}, `Removed since ${older} (older)`),
      table(columns(older), result.removed, () => ({ class: 'diff-remove' }), `${newer} still does everything ${older} did.`)));
}

// ---------------------------------------------------------------- Signals (grouped)

const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const FILTER_KEYS = ['range', 'from', 'to', 'severity', 'rule', 'image', 'tag', 'suggested', 'origin', 'namespace'];

// The API query of the signals view's filters (relative ranges resolve to absolute times now).
function filterQuery(params) {
  const query = new URLSearchParams();
  const range = params.get('range');
  if (range && RANGES[range]) query.set('from', new Date(Date.now() - RANGES[range]).toISOString());
  else if (range === 'custom') {
    if (params.get('from')) query.set('from', new Date(params.get('from')).toISOString());
    if (params.get('to')) query.set('to', new Date(params.get('to')).toISOString());
  }
  for (const key of ['severity', 'rule', 'image', 'tag', 'suggested', 'origin', 'namespace']) if (params.get(key)) query.set(key, params.get(key));
  return query;
}

function keptFilters(params) {
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) if (params.get(key)) kept.set(key, params.get(key));
  return kept;
}

const groupApiPath = g => `/signal-groups/${seg(g.ruleId)}/${seg(g.imageName)}/${g.behaviour}`;

async function renderSignals(selectedId) {
  setActiveNav('signals');
  const params = new URLSearchParams(location.search);
  const page = Math.max(1, Number(params.get('page')) || 1);
  const size = Math.min(200, Math.max(1, Number(params.get('size')) || 50));
  const sort = params.get('sort') || 'lastSeen';
  const query = filterQuery(params);
  query.set('sort', sort); query.set('page', String(page)); query.set('size', String(size));
  const facetQuery = new URLSearchParams();
  for (const key of ['from', 'to']) if (query.get(key)) facetQuery.set(key, query.get(key));
  const generation = routeGeneration;
  const [list, facets] = await Promise.all([api(`/signal-groups?${query}`), api(`/signal-groups/facets${facetQuery.size ? `?${facetQuery}` : ''}`)]);
  if (superseded(generation)) return;

  const go = changes => {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) { if (value) next.set(key, value); else next.delete(key); }
    if (!('page' in changes)) next.delete('page');
    navigate(`/signals${next.size ? `?${next}` : ''}`);
  };
  const select = (id, label, value, options, key) => {
    const el = h('select', { id, 'aria-label': label }, options.map(([v, text]) => h('option', { value: v, selected: v === (value || '') }, text)));
    el.addEventListener('change', () => go({ [key]: el.value }));
    return el;
  };

  const rangeValue = params.get('range') || '';
  const range = select('filter-range', 'Time range', rangeValue,
    [['', 'All time'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['custom', 'Custom range…']], 'range');
  const custom = rangeValue === 'custom' ? (() => {
    const from = h('input', { type: 'datetime-local', id: 'filter-from', 'aria-label': 'From', value: params.get('from') || '' });
    const to = h('input', { type: 'datetime-local', id: 'filter-to', 'aria-label': 'To', value: params.get('to') || '' });
    const apply = () => go({ from: from.value, to: to.value, range: 'custom' });
    from.addEventListener('change', apply); to.addEventListener('change', apply);
    return h('span', { class: 'custom-range' }, from, '–', to);
  })() : null;
  const chosen = new Set((params.get('severity') || '').split(',').filter(Boolean));
  const severityCounts = Object.fromEntries(facets.severities.map(f => [f.value, f.count]));
  const severities = h('span', { class: 'chips', role: 'group', 'aria-label': 'Severity' }, ['Critical', 'High', 'Medium', 'Low', 'Info'].map(s => {
    const box = h('input', { type: 'checkbox', checked: chosen.has(s), dataset: { severity: s } });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(s); else chosen.delete(s);
      go({ severity: [...chosen].join(',') });
    });
    return h('label', { class: `chip sev-${s.toLowerCase()}` }, box, ` ${s}`, h('span', { class: 'muted' }, ` ${(severityCounts[s] || 0).toLocaleString('en-US')}`));
  }));
  const rule = select('filter-rule', 'Rule', params.get('rule'), [['', 'Any rule'], ...facets.rules.map(f => [f.value, `${f.label} (${f.count.toLocaleString('en-US')})`])], 'rule');
  const image = select('filter-image', 'Image', params.get('image'), [['', 'Any image'], ...facets.images.map(f => [f.value, `${f.value} (${f.count.toLocaleString('en-US')})`])], 'image');
  const suggested = select('filter-suggested', 'Suggestion', params.get('suggested'), [['', 'Suggested or not'], ['true', 'With a suggestion'], ['false', 'Without a suggestion']], 'suggested');
  const origin = select('filter-origin', 'Origin', params.get('origin'), [['', 'Rules and drift'], ['rule', 'Rule signals only'], ['drift', 'Drift signals only']], 'origin');
  // The namespace filter appears once the warehouse records namespaces.
  const namespace = list.namespaces && facets.namespaces.length
    ? select('filter-namespace', 'Namespace', params.get('namespace'), [['', 'Any namespace'], ...facets.namespaces.map(f => [f.value, `${f.value} (${f.count})`])], 'namespace')
    : null;
  const sortBy = select('group-sort', 'Sort by', sort, [['lastSeen', 'Latest first'], ['count', 'Most signals'], ['severity', 'Most severe'], ['firstSeen', 'Newest groups']], 'sort');
  const tagNote = params.get('tag') ? h('span', { class: 'chip' }, `version ${params.get('tag')} `, h('button', { type: 'button', class: 'link', onclick: () => go({ tag: '' }) }, '×')) : null;

  const pages = Math.max(1, Math.ceil(list.totalGroups / size));
  const pager = pagerOf(page, pages, n => go({ page: n > 1 ? String(n) : '' }), 'groups-pager');
  const body = h('tbody');
  for (const g of list.groups) body.append(...groupRows(g, params));
  const groupsTable = list.groups.length === 0
    ? h('div', { class: 'empty' }, 'No signal matches these filters.')
    : h('table', { id: 'signal-groups' },
      h('thead', {}, h('tr', {}, ['', 'Severity', 'Rule', 'Workload', 'Behaviour', 'Signals', 'Containers', 'First seen', 'Last seen', 'Suggestion'].map(t => h('th', {}, t)))),
      body);

  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Signals'), h('span', { class: 'muted' }, 'Grouped by rule, image and behaviour; enriched with the security profile of the workload.')),
    h('div', { class: 'filters', id: 'signal-filters' }, range, custom, severities),
    h('div', { class: 'filters' }, rule, image, tagNote, origin, suggested, namespace, h('span', { class: 'spacer' }), sortBy,
      keptFilters(params).size ? h('a', { href: '/signals', dataset: { link: '' }, id: 'clear-filters' }, 'Clear filters') : null),
    h('div', { class: 'card' },
      h('div', { class: 'list-head' },
        h('span', { id: 'group-summary' }, `${plural(list.totalGroups, 'group')} · ${plural(list.totalSignals, 'signal')}`),
        h('span', { class: 'spacer' }), pager),
      groupsTable,
      list.groups.length ? h('div', { class: 'list-foot' }, pagerOf(page, pages, n => go({ page: n > 1 ? String(n) : '' }))) : null));
  if (selectedId) await selectSignal(selectedId, `/signals/${seg(selectedId)}${location.search}`);
}

function pagerOf(page, pages, goTo, id) {
  const prev = h('button', { type: 'button', dataset: { page: 'prev' }, 'aria-label': 'Previous page', title: 'Previous page ([)', disabled: page <= 1 }, '‹ Prev');
  const next = h('button', { type: 'button', dataset: { page: 'next' }, 'aria-label': 'Next page', title: 'Next page (])', disabled: page >= pages }, 'Next ›');
  prev.addEventListener('click', () => goTo(page - 1));
  next.addEventListener('click', () => goTo(page + 1));
  return h('span', { class: 'pager', id }, prev, h('span', { class: 'page-of' }, `Page ${page.toLocaleString('en-US')} of ${pages.toLocaleString('en-US')}`), next);
}

function suggestionBadge(g) {
  const text = { suppressed: 'suppressed', all: 'suggested', some: `${g.suggested} of ${g.count} suggested`, none: 'none', never: 'drift: never' }[g.suggestionState];
  const cls = { suppressed: 'yes', all: 'yes', some: 'mid', none: 'no', never: 'no' }[g.suggestionState];
  return h('span', { class: `badge ${cls} suggestion-state`, dataset: { state: g.suggestionState } }, text);
}

function behaviourCell(g) {
  return h('span', { class: 'behaviour' }, h('span', { class: `badge kind k-${g.behaviourKind}` }, KIND_BADGES[g.behaviourKind] || g.behaviourKind), ' ',
    h('span', { class: 'mono' }, g.description || g.behaviourDetail || g.behaviourProcess),
    g.description ? null : h('span', { class: 'muted mono small' }, g.behaviourDetail && g.behaviourProcess ? ` ${g.behaviourProcess}` : ''));
}

// One group row and, once opened, a row holding the group's signals (paged).
function groupRows(g, params) {
  const caret = h('span', { class: 'caret' }, '▸');
  const row = h('tr', rowAttrs({
    class: 'clickable group-row', 'aria-expanded': 'false',
    dataset: { rule: g.ruleId, image: g.imageName, behaviour: g.behaviour, count: String(g.count), expandable: '1' },
  }),
  h('td', {}, caret),
  h('td', {}, severityBadge(g.severity)),
  h('td', {}, h('div', {}, g.ruleName, g.drift ? h('span', { class: 'badge drift' }, 'drift') : null), h('code', { class: 'muted small' }, g.ruleId)),
  h('td', {}, h('div', { class: 'mono' }, g.imageName), h('div', { class: 'muted small' }, g.imageTags.join(', '), g.namespaces.length ? ` · ns ${g.namespaces.join(', ')}` : '')),
  h('td', {}, behaviourCell(g)),
  h('td', { class: 'num group-count' }, g.count.toLocaleString('en-US')),
  h('td', { class: 'num' }, g.containers.toLocaleString('en-US')),
  h('td', {}, when(g.firstSeen)),
  h('td', {}, when(g.lastSeen)),
  h('td', {}, suggestionBadge(g)));
  const detail = h('tr', { class: 'group-detail', hidden: true }, h('td', { colspan: '10' }));
  let loaded = false;
  row.addEventListener('click', async () => {
    const open = row.getAttribute('aria-expanded') !== 'true';
    row.setAttribute('aria-expanded', String(open));
    caret.classList.toggle('open', open);
    detail.hidden = !open;
    if (open && !loaded) { loaded = true; await loadGroupSignals(g, params, detail.firstChild, 1); }
  });
  return [row, detail];
}

async function loadGroupSignals(g, params, cell, page) {
  const query = filterQuery(params);
  query.set('page', String(page)); query.set('size', '20');
  const result = await api(`${groupApiPath(g)}/signals?${query}`);
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const groupLink = `${g.link}${keptFilters(params).size ? `?${keptFilters(params)}` : ''}`;
  cell.replaceChildren(h('div', { class: 'group-signals' },
    h('div', { class: 'list-head' },
      h('span', {}, `${plural(result.total, 'signal')} in this group`),
      h('a', { href: groupLink, dataset: { link: '' }, class: 'group-link' }, 'Open group page (link for a ticket) →'),
      h('span', { class: 'spacer' }),
      pages > 1 ? pagerOf(page, pages, n => loadGroupSignals(g, params, cell, n)) : null),
    signalTable(result.signals, id => selectSignal(id, `/signals/${seg(id)}${location.search}`))));
}

/** A container's pod as "namespace/workload", the pod's name on hover; "—" outside Kubernetes. */
function podCell(pod) {
  return pod ? h('span', { class: 'mono', title: `pod ${pod.name}` }, `${pod.namespace}/${pod.workload}`) : '—';
}

function signalTable(signals, onSelect) {
  return table([
    { title: 'Time', cell: s => when(s.timestamp) },
    { title: 'Severity', cell: s => severityBadge(s.severity) },
    { title: 'Version', cell: s => h('span', { class: 'mono' }, s.imageTag) },
    { title: 'Container', cell: s => h('span', { class: 'mono' }, s.containerId.slice(0, 12)) },
    { title: 'Pod', cell: s => podCell(s.pod) },
    { title: 'Host', cell: s => s.hostName },
    { title: 'Process', cell: s => h('span', { class: 'mono' }, s.behaviourProcess) },
    { title: 'Detail', cell: s => h('span', { class: 'mono' }, s.behaviourDetail) },
    { title: 'Suggestion', cell: s => yesNo(s.hasSuggestion, 'suppressible', 'none') },
  ], signals, s => rowAttrs({ class: 'clickable signal-row', dataset: { signalId: s.signalId }, onclick: () => onSelect(s.signalId) }));
}

async function selectSignal(id, address) {
  for (const tr of view.querySelectorAll('tr.signal-row')) tr.classList.toggle('selected', tr.dataset.signalId === id);
  if (address) remember(address);
  openPanel(await signalPanel(id));
}

// ---------------------------------------------------------------- one signal group (what a ticket links to)

async function renderSignalGroup(rule, image, behaviour) {
  setActiveNav('signals');
  const params = new URLSearchParams(location.search);
  const page = Math.max(1, Number(params.get('page')) || 1);
  const query = filterQuery(params);
  const groupPath = `/signal-groups/${seg(rule)}/${seg(image)}/${seg(behaviour)}`;
  const signalsQuery = new URLSearchParams(query); signalsQuery.set('page', String(page)); signalsQuery.set('size', '50');
  const generation = routeGeneration;
  const [g, result] = await Promise.all([api(`${groupPath}${query.size ? `?${query}` : ''}`), api(`${groupPath}/signals?${signalsQuery}`)]);
  if (superseded(generation)) return;
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const here = extra => {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(extra)) { if (value) next.set(key, value); else next.delete(key); }
    return `${location.pathname}${next.size ? `?${next}` : ''}`;
  };
  const copy = h('button', { type: 'button', id: 'copy-link' }, 'Copy link');
  copy.addEventListener('click', async () => {
    const url = new URL(here({ signal: '' }), location.origin).toString();
    try { await navigator.clipboard.writeText(url); copy.textContent = 'Link copied'; } catch { prompt('Link to this group', url); }
  });
  const back = keptFilters(params);
  view.replaceChildren(
    h('div', { class: 'crumbs' }, link(`/signals${back.size ? `?${back}` : ''}`, 'Signals'), ' / group'),
    h('div', { class: 'page-head' }, severityBadge(g.severity), h('h1', { id: 'group-title' }, g.ruleName), g.drift ? h('span', { class: 'badge drift' }, 'drift') : null,
      h('span', { class: 'spacer' }), copy),
    h('div', { class: 'card' }, kv([
      ['Rule', h('code', {}, g.ruleId)],
      ['Image', h('span', {}, h('span', { class: 'mono' }, g.imageName), ' ', h('span', { class: 'muted' }, `versions ${g.imageTags.join(', ')}`))],
      ['Behaviour', behaviourCell(g)],
      ['Node', g.nodeId ? h('code', {}, g.nodeId) : h('span', { class: 'muted' }, 'no profile node (signals raised before the image had a profile)')],
      g.namespaces.length ? ['Namespaces', g.namespaces.join(', ')] : null,
      ['Signals', h('strong', { id: 'group-count' }, g.count.toLocaleString('en-US'))],
      ['Containers', g.containers.toLocaleString('en-US')],
      ['First / last seen', `${when(g.firstSeen)} – ${when(g.lastSeen)}`],
      ['Suggestion', suggestionBadge(g)],
      g.suppression ? ['Suppression', `added by ${g.suppression.createdBy} on ${when(g.suppression.createdAt)}`] : null,
    ])),
    h('div', { class: 'card' },
      h('div', { class: 'list-head' }, h('span', {}, plural(result.total, 'signal')), h('span', { class: 'spacer' }),
        pagerOf(page, pages, n => navigate(here({ page: n > 1 ? String(n) : '', signal: '' })), 'group-pager')),
      signalTable(result.signals, id => selectSignal(id, here({ signal: id })))));
  if (params.get('signal')) await selectSignal(params.get('signal'));
}

async function signalPanel(id) {
  const detail = await api(`/signals/${seg(id)}`);
  const s = detail.signal;
  const groupLink = detail.profile?.nodeId ? `/signals/group/${seg(s.ruleId)}/${seg(s.imageName)}/${detail.profile.nodeId}` : null;
  const parts = [
    h('div', { class: 'page-head' }, severityBadge(s.severity), h('h2', {}, s.ruleName)),
    h('p', {}, s.message),
    kv([
      ['Time', when(s.timestamp)],
      ['Rule', h('code', {}, s.ruleId)],
      ['Workload', h('span', { class: 'mono' }, `${s.imageName}:${s.imageTag}`)],
      ['Container', h('span', { class: 'mono' }, s.containerId)],
      s.pod ? ['Namespace', h('span', { class: 'mono', id: 'signal-namespace' }, s.pod.namespace)] : null,
      s.pod ? ['Pod', h('span', { class: 'mono' }, s.pod.name)] : null,
      s.pod ? ['Kubernetes workload', h('span', { class: 'mono', id: 'signal-k8s-workload' }, s.pod.workload)] : null,
      ['Host', s.hostName],
      ['Behaviour', h('span', {}, h('span', { class: 'badge kind' }, s.behaviourKind), ' ', h('span', { class: 'mono' }, s.behaviourDetail || '—'))],
      ['Process', h('span', { class: 'mono' }, s.behaviourProcess || '—')],
      detail.tags.length ? ['Tags', detail.tags.join(', ')] : null,
      ['Signal id', h('code', {}, s.signalId)],
      groupLink ? ['Group', h('a', { href: groupLink, dataset: { link: '' }, id: 'signal-group-link' }, 'All signals of this rule, image and behaviour →')] : null,
    ]),
  ];

  // Fields other parts of the pipeline add over time (the acting process, drift context): shown when the API has them.
  if (detail.process) parts.push(h('h3', {}, 'Acting process'), kv(Object.entries(detail.process).map(([k, v]) => [k, h('span', { class: 'mono' }, Array.isArray(v) ? v.join(' ') : String(v ?? '—'))])));
  if (detail.drift) parts.push(h('h3', {}, 'Drift'), h('div', { class: 'callout plain', id: 'drift' },
    h('p', {}, 'This behaviour is not in the workload’s Stable profile.'),
    kv([
      ['Closest known ancestor', h('span', { class: 'mono', id: 'closest-known' }, detail.drift.closestKnownKey ?? 'none: the whole lineage is new')],
      ['Argument signatures', h('span', { class: 'mono' }, detail.drift.signatures.length ? detail.drift.signatures.join(' › ') : '—')],
    ])));

  const profile = detail.profile;
  parts.push(h('h3', {}, 'Security profile'));
  if (profile) {
    parts.push(h('div', { class: 'callout plain', id: 'profile-context' },
      kv([
        ['Profile', h('span', {}, h('span', { class: 'mono' }, `${profile.imageName}:${profile.imageTag}`), ' ', statusBadge(profile.status))],
        ['Snapshots', profile.snapshotCount],
        ['Profile commonality', commonality(profile.commonality)],
        ['Behaviour in profile', yesNo(profile.behaviourInProfile, 'known behaviour', 'never seen')],
        profile.nodeCommonality !== null ? ['Behaviour commonality', commonality(profile.nodeCommonality, 'Behaviour commonality against the threshold', detail.policy.minNodeCommonality)] : null,
        profile.nodeContainerCommonality !== null ? ['Container commonality', commonality(profile.nodeContainerCommonality)] : null,
      ]),
      h('div', { class: 'actions' },
        h('a', { class: 'button-link', href: profile.link, dataset: { link: '' }, id: 'view-profile' }, 'View Security Profile →'),
        profile.nodeId ? h('a', { href: `${profile.link}?node=${profile.nodeId}`, dataset: { link: '' }, id: 'view-node' }, 'Show the behaviour in the tree') : null)));
  } else {
    parts.push(h('p', { class: 'muted' }, 'No security profile exists for this workload yet.'));
  }

  parts.push(h('h3', {}, 'Suppression'));
  parts.push(thresholdNote(detail.policy));
  if (detail.suggestion) parts.push(suggestionBox(detail));
  else parts.push(h('p', { class: 'muted', id: 'no-suggestion' }, detail.noSuggestionReason || 'No suggestion for this signal.'));
  if (detail.drift) parts.push(allowBox(detail));
  if (detail.signatures) parts.push(h('h3', {}, 'Argument signatures'), table([
    { title: 'Process', cell: x => h('span', { class: 'mono' }, x.process ?? '') },
    { title: 'Signature', cell: x => h('span', { class: 'mono' }, x.signature ?? String(x)) },
    { title: 'Commonality', cell: x => x.commonality !== undefined ? commonality(x.commonality, '', detail.policy.minNodeCommonality) : '—' },
  ], detail.signatures));
  return parts;
}

function thresholdNote(policy) {
  return h('p', { class: 'threshold-note', id: 'threshold' }, 'Judged against: behaviour commonality ≥ ',
    h('strong', {}, pct(policy.minNodeCommonality)), ' and a Stable profile (or a Learning one with ≥ ',
    h('strong', {}, String(policy.minLearningSnapshots)), ' snapshots).');
}

function suggestionBox(detail) {
  const suggestion = detail.suggestion;
  const e = suggestion.evidence;
  const threshold = detail.policy.minNodeCommonality;
  const box = h('div', { class: 'callout', id: 'suggestion' },
    h('strong', {}, 'This behaviour matches the workload’s normal behaviour.'),
    h('p', { class: 'mono' }, suggestion.description),
    kv([
      ['Behaviour commonality', commonality(e.commonality, `Against the threshold ${pct(threshold)}`, threshold)],
      ['Threshold', h('span', { id: 'suggestion-threshold' }, `${pct(threshold)} (${pct(e.commonality)} ≥ ${pct(threshold)})`)],
      ['Container commonality', commonality(e.containerCommonality)],
      ['Snapshots', e.snapshotCount],
      ['First / last seen', `${when(e.firstSeen)} – ${when(e.lastSeen)}`],
    ]));
  const state = h('div', { class: 'actions' });
  box.append(state);

  const showSuppressed = suppression => state.replaceChildren(h('span', { class: 'done', id: 'suppressed' },
    `✓ Suppressed by ${suppression.createdBy} on ${when(suppression.createdAt)}`));

  if (detail.suppression && !detail.suppression.removed) {
    showSuppressed(detail.suppression);
    return box;
  }
  const suppress = h('button', { type: 'button', class: 'primary', id: 'suppress' }, 'Suppress signals');
  suppress.addEventListener('click', () => {
    const error = h('p', { class: 'error' });
    const add = h('button', { type: 'button', class: 'primary', id: 'add-suppression' }, 'Add suppression to rule');
    const cancel = h('button', { type: 'button', onclick: () => state.replaceChildren(suppress) }, 'Cancel');
    add.addEventListener('click', async () => {
      add.disabled = true;
      try {
        const created = await api('/suppressions', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ signalId: detail.signal.signalId }),
        });
        showSuppressed(created);
      } catch (failure) {
        error.textContent = failure.message;
        add.disabled = false;
      }
    });
    state.replaceChildren(h('div', { class: 'confirm' },
      h('div', {}, 'Rule ', h('code', {}, suggestion.ruleId), ' will no longer fire for:'),
      h('pre', {}, suggestion.expression),
      h('div', { class: 'actions' }, add, cancel), error));
    add.focus();
  });
  state.append(suppress);
  return box;
}

// "Allow" on a drift signal: a suppression of this drift rule for the image, the behaviour's node and its signatures.
function allowBox(detail) {
  const drift = detail.drift;
  const state = h('div', { class: 'actions' });
  const box = h('div', { class: 'callout', id: 'allow' }, state);
  const showAllowed = suppression => state.replaceChildren(h('span', { class: 'done', id: 'allowed' },
    `✓ Allowed by ${suppression.createdBy} on ${when(suppression.createdAt)}`));
  if (detail.suppression && !detail.suppression.removed) {
    showAllowed(detail.suppression);
    return box;
  }
  const allow = h('button', { type: 'button', class: 'primary', id: 'allow-drift' }, 'Allow this behaviour');
  allow.addEventListener('click', () => {
    const error = h('p', { class: 'error' });
    const confirm = h('button', { type: 'button', class: 'primary', id: 'confirm-allow' }, 'Allow');
    const cancel = h('button', { type: 'button', onclick: () => state.replaceChildren(allow) }, 'Cancel');
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        showAllowed(await api('/suppressions', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ signalId: detail.signal.signalId }),
        }));
      } catch (failure) {
        error.textContent = failure.message;
        confirm.disabled = false;
      }
    });
    state.replaceChildren(h('div', { class: 'confirm' },
      h('div', {}, 'Drift rule ', h('code', {}, detail.signal.ruleId), ' will no longer fire for:'),
      h('pre', {}, drift.allowExpression),
      h('div', { class: 'actions' }, confirm, cancel), error));
    confirm.focus();
  });
  state.append(allow);
  return box;
}

// ---------------------------------------------------------------- Suppressions

async function renderSuppressions() {
  setActiveNav('suppressions');
  const includeRemoved = new URLSearchParams(location.search).get('removed') === 'true';
  const generation = routeGeneration;
  const suppressions = await api(`/suppressions${includeRemoved ? '?includeRemoved=true' : ''}`);
  if (superseded(generation)) return;
  const toggle = h('input', { type: 'checkbox', checked: includeRemoved });
  toggle.addEventListener('change', () => navigate(`/suppressions${toggle.checked ? '?removed=true' : ''}`));
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Suppressions'), h('span', { class: 'muted' }, 'Behaviours that no longer raise a rule’s signals.'),
      h('span', { class: 'spacer' }), h('label', {}, toggle, ' Show removed')),
    h('div', { class: 'card' }, table([
      { title: 'Rule', cell: x => h('code', {}, x.ruleId) },
      { title: 'Image', cell: x => h('span', { class: 'mono' }, x.imageName) },
      { title: 'Behaviour', cell: x => h('span', { class: 'mono', title: x.expression }, x.description || x.expression) },
      { title: 'Added', cell: x => `${x.createdBy}, ${when(x.createdAt)}` },
      { title: 'From signal', cell: x => x.fromSignalId ? link(`/signals/${seg(x.fromSignalId)}`, x.fromSignalId) : '—' },
      { title: 'Signals', cell: x => link(`/signals/group/${seg(x.ruleId)}/${seg(x.imageName)}/${x.nodeId}`, 'group →') },
      { title: '', cell: x => x.removed
          ? h('span', { class: 'badge removed', title: `${x.removedBy}, ${when(x.removedAt)}` }, `removed by ${x.removedBy}`)
          : h('button', { type: 'button', class: 'danger', onclick: () => removeSuppression(x) }, 'Remove') },
    ], suppressions, x => rowAttrs({ class: 'suppression-row', dataset: { id: x.id } }))));
}

async function removeSuppression(suppression) {
  if (!confirm(`Remove the suppression of ${suppression.ruleId} for ${suppression.imageName}? The rule fires again for this behaviour.`)) return;
  try {
    await api(`/suppressions/${seg(suppression.id)}`, { method: 'DELETE' });
    await renderSuppressions();
  } catch (error) {
    alert(error.message);
  }
}

// ---------------------------------------------------------------- side panel

function openPanel(children) {
  panelBody.replaceChildren(...children);
  panel.hidden = false;
  panel.scrollTop = 0;
}

function closePanel(userAction) {
  panel.hidden = true;
  for (const selected of document.querySelectorAll('.node.selected, tr.selected')) selected.classList.remove('selected');
  if (!userAction) return;
  const parts = location.pathname.split('/').filter(Boolean);
  const params = new URLSearchParams(location.search);
  if (parts[0] === 'signals' && parts[1] && parts[1] !== 'group') remember(`/signals${location.search}`);
  else if ((params.has('signal') || params.has('node'))) {
    params.delete('signal'); params.delete('node');
    remember(`${location.pathname}${params.size ? `?${params}` : ''}`);
  }
}

takeTokenFromFragment();
route();
