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

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const pct = value => `${Math.round((value ?? 0) * 100)}%`;
const when = iso => iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
const seg = text => encodeURIComponent(text);
const profilePath = (image, tag) => `/profiles/${seg(image)}/${seg(tag)}`;

function commonality(value, title) {
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(1, value ?? 0)) * 100}%`;
  const level = value >= 0.8 ? '' : value >= 0.5 ? ' mid' : ' low';
  return h('span', { class: 'commonality', title: title || 'Behaviour commonality' },
    h('span', { class: `bar${level}` }, fill), h('span', { class: 'pct' }, pct(value)));
}

const statusBadge = status => h('span', { class: `badge ${String(status).toLowerCase()}` }, status || 'none');
const severityBadge = severity => h('span', { class: `badge sev-${String(severity).toLowerCase()}` }, severity);
const yesNo = (value, yes = 'yes', no = 'no') => h('span', { class: `badge ${value ? 'yes' : 'no'}` }, value ? yes : no);
const link = (href, ...text) => h('a', { href, dataset: { link: '' } }, ...text);

function table(columns, rows, rowAttrs) {
  if (rows.length === 0) return h('div', { class: 'empty' }, 'Nothing here yet.');
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

document.addEventListener('click', event => {
  const anchor = event.target.closest('a[data-link]');
  if (!anchor || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href'));
});
window.addEventListener('popstate', route);
document.getElementById('panel-close').addEventListener('click', () => closePanel(true));
document.addEventListener('keydown', event => { if (event.key === 'Escape' && !panel.hidden) closePanel(true); });

function setActiveNav(section) {
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === section);
}

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) { showLogin(); return; }
  document.getElementById('sign-out').hidden = false;
  const parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  closePanel();
  try {
    if (parts[0] === 'profiles' && parts.length >= 5 && parts[3] === 'compare') await renderCompare(parts[1], parts[2], parts[4]);
    else if (parts[0] === 'profiles' && parts.length >= 3) await renderProfile(parts[1], parts[2]);
    else if (parts[0] === 'signals') await renderSignals(parts[1]);
    else if (parts[0] === 'suppressions') await renderSuppressions();
    else await renderImages(new URLSearchParams(location.search).get('image'));
  } catch (error) {
    if (error.status !== 401) view.replaceChildren(h('div', { class: 'card error' }, error.message));
  }
}

// ---------------------------------------------------------------- Security Profiles (grouped by image)

async function renderImages(expand) {
  setActiveNav('profiles');
  const images = await api('/images');
  const body = h('tbody');
  for (const image of images) {
    const caret = h('span', { class: 'caret' }, '▸');
    const row = h('tr', { class: 'clickable image-row', dataset: { image: image.imageName } },
      h('td', {}, caret, h('strong', {}, image.imageName)),
      h('td', {}, plural(image.versions, 'version')),
      h('td', {}, statusBadge(image.latestStatus), ' ', h('span', { class: 'muted mono' }, image.latestTag)),
      h('td', {}, commonality(image.latestCommonality, 'Profile commonality of the latest version')),
      h('td', {}, image.snapshotCount),
      h('td', {}, image.runningContainers),
      h('td', {}, when(image.lastUpdated)));
    let versions = null;
    row.addEventListener('click', async () => {
      if (versions) { versions.forEach(v => v.remove()); versions = null; caret.classList.remove('open'); return; }
      caret.classList.add('open');
      const profiles = await api(`/images/${seg(image.imageName)}/profiles`);
      versions = profiles.map(p => h('tr', { class: 'version clickable', dataset: { tag: p.imageTag }, onclick: () => navigate(profilePath(p.imageName, p.imageTag)) },
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
    h('div', { class: 'page-head' }, h('h1', {}, 'Security Profiles'), h('span', { class: 'muted' }, 'One behaviour model per image version, learned from activity snapshots.')),
    h('div', { class: 'card' }, images.length === 0 ? h('div', { class: 'empty' }, 'No profiles yet: the pipeline has not merged any snapshot.') :
      h('table', { id: 'images' },
        h('thead', {}, h('tr', {}, ['Image', 'Versions', 'Latest status', 'Commonality', 'Snapshots', 'Running containers', 'Last update'].map(t => h('th', {}, t)))),
        body)));
}

// ---------------------------------------------------------------- Profile detail

async function renderProfile(image, tag) {
  setActiveNav('profiles');
  const detail = await api(`/profiles/${seg(image)}/${seg(tag)}`);
  const p = detail.profile;
  const base = `/profiles/${seg(image)}/${seg(tag)}`;
  const others = detail.versions.filter(v => v !== tag);
  const compare = h('select', { id: 'compare-with', 'aria-label': 'Compare with version' },
    h('option', { value: '' }, others.length ? 'Compare with version…' : 'No other version'),
    others.map(v => h('option', { value: v }, v)));
  compare.disabled = others.length === 0;
  compare.addEventListener('change', () => { if (compare.value) navigate(`${base}/compare/${seg(compare.value)}`); });

  const tree = h('ul', { class: 'tree', id: 'process-tree' }, detail.processes.map(process => treeNode(process, p)));
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
    h('div', { class: 'card' },
      h('h2', {}, 'Process tree'),
      h('div', { class: 'legend' }, 'Bars show how many snapshots contain each behaviour. Click a process for its files, DNS and network activity.'),
      detail.nodesTruncated ? h('p', { class: 'error' }, `Showing the first ${detail.nodesRead} behaviours only.`) : null,
      detail.unattachedNodes ? h('p', { class: 'muted' }, `${detail.unattachedNodes} behaviours could not be placed in the tree.`) : null,
      detail.processes.length ? tree : h('div', { class: 'empty' }, 'No process recorded.')),
    h('div', { class: 'card' }, h('h2', {}, `Related signals (${detail.signals.length})`),
      table([
        { title: 'Time', cell: s => when(s.timestamp) },
        { title: 'Severity', cell: s => severityBadge(s.severity) },
        { title: 'Rule', cell: s => link(`/signals/${seg(s.signalId)}`, s.ruleName) },
        { title: 'Behaviour', cell: s => h('span', { class: 'mono' }, s.behaviourDetail || s.behaviourProcess) },
        { title: 'Suggestion', cell: s => yesNo(s.hasSuggestion, 'suppressible', 'none') },
      ], detail.signals)),
    h('div', { class: 'card' }, h('h2', {}, `Running containers of ${image}`),
      table([
        { title: 'Container', cell: c => h('span', { class: 'mono' }, c.name || c.containerId) },
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
}

function treeNode(process, profile) {
  const hasChildren = process.children.length > 0;
  const toggle = h('button', { class: 'toggle', type: 'button', 'aria-label': 'Expand or collapse' }, hasChildren ? '▾' : '·');
  const counts = h('span', { class: 'counts' },
    process.files.length ? h('span', { class: 'badge kind' }, plural(process.files.length, 'file')) : null,
    process.dns.length ? h('span', { class: 'badge kind' }, `${process.dns.length} DNS`) : null,
    process.network.length ? h('span', { class: 'badge kind' }, `${process.network.length} net`) : null);
  const row = h('div', { class: 'node', dataset: { nodeId: process.id }, title: process.key },
    toggle, h('span', { class: 'key' }, process.key), counts, commonality(process.commonality));
  const item = h('li', {}, row, hasChildren ? h('ul', {}, process.children.map(child => treeNode(child, profile))) : null);
  toggle.addEventListener('click', event => {
    event.stopPropagation();
    if (!hasChildren) return;
    item.classList.toggle('collapsed');
    toggle.textContent = item.classList.contains('collapsed') ? '▸' : '▾';
  });
  row.addEventListener('click', () => {
    for (const selected of document.querySelectorAll('.node.selected')) selected.classList.remove('selected');
    row.classList.add('selected');
    openPanel(processPanel(process, profile));
  });
  return item;
}

function leafTable(leaves, withAccess) {
  return table([
    { title: 'Behaviour', cell: l => h('span', { class: 'mono' }, l.key) },
    withAccess ? { title: 'Access', cell: l => l.access || '—' } : null,
    { title: 'Snapshots', cell: l => commonality(l.commonality, 'Share of snapshots') },
    { title: 'Containers', cell: l => commonality(l.containerCommonality, 'Share of containers') },
  ].filter(Boolean), leaves);
}

function processPanel(process, profile) {
  return [
    h('h2', { class: 'mono' }, process.key),
    kv([
      ['Executable', h('span', { class: 'mono' }, process.executable)],
      ['Commonality (snapshots)', commonality(process.commonality)],
      ['Commonality (containers)', commonality(process.containerCommonality)],
      ['Seen in', `${process.snapshotCount} of ${profile.snapshotCount} snapshots, ${process.containerCount} of ${profile.containerCount} containers`],
      ['Events', process.eventCount],
      ['First / last seen', `${when(process.firstSeen)} – ${when(process.lastSeen)}`],
      ['Node id', h('code', {}, process.id)],
    ]),
    h('h3', {}, `Files (${process.files.length})`), leafTable(process.files, true),
    h('h3', {}, `DNS (${process.dns.length})`), leafTable(process.dns, false),
    h('h3', {}, `Network (${process.network.length})`), leafTable(process.network, false),
  ];
}

// ---------------------------------------------------------------- Compare

async function renderCompare(image, tag, other) {
  setActiveNav('profiles');
  const result = await api(`/profiles/${seg(image)}/${seg(tag)}/compare/${seg(other)}`);
  const columns = [
    { title: 'Kind', cell: c => h('span', { class: 'badge kind' }, c.kind) },
    { title: 'Behaviour', cell: c => h('span', { class: 'mono' }, c.path) },
    { title: 'Commonality', cell: c => commonality(c.commonality) },
  ];
  view.replaceChildren(
    h('div', { class: 'crumbs' }, link(`/?image=${seg(image)}`, 'Security Profiles'), ' / ', link(profilePath(image, tag), `${image}:${tag}`)),
    h('div', { class: 'page-head' }, h('h1', {}, `${image}: ${tag} compared with ${other}`)),
    h('div', { class: 'stats' }, stat(`Only in ${tag}`, result.added.length), stat(`Only in ${other}`, result.removed.length), stat('In both', result.unchanged)),
    h('div', { class: 'card', id: 'added' }, h('h2', {}, `Only in ${tag}`), table(columns, result.added, () => ({ class: 'diff-add' }))),
    h('div', { class: 'card', id: 'removed' }, h('h2', {}, `Only in ${other}`), table(columns, result.removed, () => ({ class: 'diff-remove' }))));
}

// ---------------------------------------------------------------- Signals

async function renderSignals(selectedId) {
  setActiveNav('signals');
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const key of ['image', 'tag', 'rule', 'severity']) if (params.get(key)) query.set(key, params.get(key));
  if (params.get('suggestion') === 'true') query.set('suggestion', 'true');
  const signals = await api(`/signals${query.size ? `?${query}` : ''}`);

  const severity = h('select', { 'aria-label': 'Severity' }, h('option', { value: '' }, 'Any severity'),
    ['Critical', 'High', 'Medium', 'Low', 'Info'].map(s => h('option', { value: s, selected: params.get('severity') === s }, s)));
  const image = h('input', { type: 'text', placeholder: 'Image name', value: params.get('image') || '' });
  const suggested = h('input', { type: 'checkbox', checked: params.get('suggestion') === 'true' });
  const apply = () => {
    const next = new URLSearchParams();
    if (image.value.trim()) next.set('image', image.value.trim());
    if (severity.value) next.set('severity', severity.value);
    if (suggested.checked) next.set('suggestion', 'true');
    navigate(`/signals${next.size ? `?${next}` : ''}`);
  };
  severity.addEventListener('change', apply);
  suggested.addEventListener('change', apply);
  image.addEventListener('keydown', e => { if (e.key === 'Enter') apply(); });

  const rows = new Map();
  const list = table([
    { title: 'Time', cell: s => when(s.timestamp) },
    { title: 'Severity', cell: s => severityBadge(s.severity) },
    { title: 'Rule', cell: s => s.ruleName },
    { title: 'Workload', cell: s => h('span', { class: 'mono' }, `${s.imageName}:${s.imageTag}`) },
    { title: 'Behaviour', cell: s => h('span', { class: 'mono' }, s.behaviourDetail || s.behaviourProcess) },
    { title: 'Profile', cell: s => s.profileStatus ? statusBadge(s.profileStatus) : h('span', { class: 'muted' }, 'none') },
    { title: 'Suggestion', cell: s => yesNo(s.hasSuggestion, 'suppressible', 'none') },
  ], signals, s => {
    const attrs = { class: 'clickable signal-row', dataset: { signalId: s.signalId }, onclick: () => selectSignal(s.signalId) };
    return attrs;
  });
  if (list.tagName === 'TABLE') for (const tr of list.querySelectorAll('tbody tr')) rows.set(tr.dataset.signalId, tr);

  async function selectSignal(id) {
    for (const [key, tr] of rows) tr.classList.toggle('selected', key === id);
    history.replaceState(null, '', `/signals/${seg(id)}${location.search}`);
    openPanel(await signalPanel(id));
  }

  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Signals'), h('span', { class: 'muted' }, 'Enriched with the security profile of the workload.')),
    h('div', { class: 'filters' }, image, severity, h('label', {}, suggested, ' With a suppression suggestion')),
    h('div', { class: 'card' }, list));
  if (selectedId) await selectSignal(selectedId);
}

async function signalPanel(id) {
  const detail = await api(`/signals/${seg(id)}`);
  const s = detail.signal;
  const parts = [
    h('div', { class: 'page-head' }, severityBadge(s.severity), h('h2', {}, s.ruleName)),
    h('p', {}, s.message),
    kv([
      ['Time', when(s.timestamp)],
      ['Rule', h('code', {}, s.ruleId)],
      ['Workload', h('span', { class: 'mono' }, `${s.imageName}:${s.imageTag}`)],
      ['Container', h('span', { class: 'mono' }, s.containerId)],
      ['Host', s.hostName],
      ['Behaviour', h('span', {}, h('span', { class: 'badge kind' }, s.behaviourKind), ' ', h('span', { class: 'mono' }, s.behaviourDetail || '—'))],
      ['Process', h('span', { class: 'mono' }, s.behaviourProcess || '—')],
      detail.tags.length ? ['Tags', detail.tags.join(', ')] : null,
    ]),
  ];

  const profile = detail.profile;
  parts.push(h('h3', {}, 'Security profile'));
  if (profile) {
    parts.push(h('div', { class: 'callout plain', id: 'profile-context' },
      kv([
        ['Profile', h('span', {}, h('span', { class: 'mono' }, `${profile.imageName}:${profile.imageTag}`), ' ', statusBadge(profile.status))],
        ['Snapshots', profile.snapshotCount],
        ['Profile commonality', commonality(profile.commonality)],
        ['Behaviour in profile', yesNo(profile.behaviourInProfile, 'known behaviour', 'never seen')],
        profile.nodeCommonality !== null ? ['Behaviour commonality', commonality(profile.nodeCommonality)] : null,
        profile.nodeContainerCommonality !== null ? ['Container commonality', commonality(profile.nodeContainerCommonality)] : null,
      ]),
      h('div', { class: 'actions' }, h('a', { class: 'button-link', href: profile.link, dataset: { link: '' }, id: 'view-profile' }, 'View Security Profile →'))));
  } else {
    parts.push(h('p', { class: 'muted' }, 'No security profile exists for this workload yet.'));
  }

  parts.push(h('h3', {}, 'Suppression'));
  if (detail.suggestion) parts.push(suggestionBox(detail));
  else parts.push(h('p', { class: 'muted', id: 'no-suggestion' }, detail.noSuggestionReason || 'No suggestion for this signal.'));
  return parts;
}

function suggestionBox(detail) {
  const suggestion = detail.suggestion;
  const e = suggestion.evidence;
  const box = h('div', { class: 'callout', id: 'suggestion' },
    h('strong', {}, 'This behaviour matches the workload’s normal behaviour.'),
    h('p', { class: 'mono' }, suggestion.description),
    kv([
      ['Behaviour commonality', commonality(e.commonality)],
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
  });
  state.append(suppress);
  return box;
}

// ---------------------------------------------------------------- Suppressions

async function renderSuppressions() {
  setActiveNav('suppressions');
  const includeRemoved = new URLSearchParams(location.search).get('removed') === 'true';
  const suppressions = await api(`/suppressions${includeRemoved ? '?includeRemoved=true' : ''}`);
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
      { title: '', cell: x => x.removed
          ? h('span', { class: 'badge removed', title: `${x.removedBy}, ${when(x.removedAt)}` }, `removed by ${x.removedBy}`)
          : h('button', { type: 'button', class: 'danger', onclick: () => removeSuppression(x) }, 'Remove') },
    ], suppressions, x => ({ class: 'suppression-row', dataset: { id: x.id } }))));
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
  if (userAction && location.pathname.startsWith('/signals/')) history.replaceState(null, '', `/signals${location.search}`);
}

takeTokenFromFragment();
route();
