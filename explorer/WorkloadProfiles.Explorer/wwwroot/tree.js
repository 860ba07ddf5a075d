// The activity tree of a profile: processes with their files, DNS questions and network connections as child nodes,
// each with its commonality bar; collapsible, searchable, and driven by the keyboard like a WAI-ARIA tree
// (↑ ↓ move, → opens or enters, ← closes or leaves, Home/End, Enter opens the side panel).
'use strict';

const LEAF_KINDS = [['files', 'file'], ['dns', 'dns'], ['network', 'network']];
const KIND_BADGES = { process: 'proc', file: 'file', dns: 'dns', network: 'net' };

/**
 * Builds the tree. onSelect(node, kind, ancestors) is called when a node is chosen. Returns { element, select(id),
 * search(text) → matches, setKinds(set), expandAll(open) }.
 */
function activityTree(processes, onSelect) {
  const root = h('ul', { class: 'tree', id: 'process-tree', role: 'tree', 'aria-label': 'Activity tree' });
  const byId = new Map();
  const large = countNodes(processes) > 400;

  function item(node, kind, depth, parentItem) {
    const leaves = kind === 'process' ? LEAF_KINDS.flatMap(([field, k]) => (node[field] || []).map(leaf => [leaf, k])) : [];
    const children = kind === 'process' ? node.children || [] : [];
    const hasChildren = leaves.length + children.length > 0;
    const toggle = h('span', { class: 'toggle', 'aria-hidden': 'true' }, hasChildren ? '▾' : '');
    const label = kind === 'process' ? node.key : kind === 'file' && node.access ? `${node.key}` : node.key;
    const row = h('div', { class: `node kind-${kind}`, tabindex: '-1', dataset: { nodeId: node.id, kind }, title: node.key },
      toggle,
      h('span', { class: `badge kind k-${kind}` }, KIND_BADGES[kind]),
      h('span', { class: 'key' }, label),
      kind === 'file' && node.access ? h('span', { class: 'badge access' }, node.access) : null,
      kind === 'process' ? summary(node) : null,
      commonality(node.commonality, `In ${node.snapshotCount} snapshots (${pct(node.commonality)})`));
    const li = h('li', { role: 'treeitem', 'aria-level': String(depth), 'aria-selected': 'false', dataset: { kind } }, row);
    const entry = { node, kind, li, row, parent: parentItem, toggle, hasChildren };
    byId.set(node.id, entry);
    if (hasChildren) {
      li.setAttribute('aria-expanded', 'true');
      const group = h('ul', { role: 'group' });
      for (const [leaf, k] of leaves) group.append(item(leaf, k, depth + 1, entry).li);
      for (const child of children) group.append(item(child, 'process', depth + 1, entry).li);
      li.append(group);
      if (large && depth >= 2) setOpen(entry, false);
    }
    toggle.addEventListener('click', event => { event.stopPropagation(); if (hasChildren) setOpen(entry, !isOpen(entry)); });
    row.addEventListener('click', () => choose(entry));
    return entry;
  }

  function summary(process) {
    return h('span', { class: 'counts' },
      process.children.length ? h('span', { class: 'badge count' }, plural(process.children.length, 'child', 'children')) : null,
      process.files.length ? h('span', { class: 'badge count' }, plural(process.files.length, 'file')) : null,
      process.dns.length ? h('span', { class: 'badge count' }, `${process.dns.length} DNS`) : null,
      process.network.length ? h('span', { class: 'badge count' }, `${process.network.length} net`) : null);
  }

  const isOpen = entry => entry.li.getAttribute('aria-expanded') === 'true';
  function setOpen(entry, open) {
    if (!entry.hasChildren) return;
    entry.li.setAttribute('aria-expanded', String(open));
    entry.toggle.textContent = open ? '▾' : '▸';
  }

  function focus(entry) {
    for (const other of root.querySelectorAll('.node[tabindex="0"]')) other.tabIndex = -1;
    entry.row.tabIndex = 0;
    entry.row.focus();
  }

  function choose(entry) {
    for (const selected of root.querySelectorAll('[aria-selected="true"]')) selected.setAttribute('aria-selected', 'false');
    for (const selected of root.querySelectorAll('.node.selected')) selected.classList.remove('selected');
    entry.li.setAttribute('aria-selected', 'true');
    entry.row.classList.add('selected');
    for (let p = entry.parent; p; p = p.parent) setOpen(p, true);
    focus(entry);
    const ancestors = [];
    for (let p = entry.parent; p; p = p.parent) ancestors.unshift(p.node);
    onSelect(entry.node, entry.kind, ancestors);
  }

  // The rows a person can see, in order: what ↑ and ↓ walk.
  const visibleRows = () => [...root.querySelectorAll('.node')].filter(row => row.offsetParent !== null);

  root.addEventListener('keydown', event => {
    const row = event.target.closest('.node');
    if (!row) return;
    const entry = byId.get(row.dataset.nodeId);
    const rows = visibleRows();
    const at = rows.indexOf(row);
    const move = index => { const next = rows[Math.max(0, Math.min(rows.length - 1, index))]; if (next) focus(byId.get(next.dataset.nodeId)); };
    switch (event.key) {
      case 'ArrowDown': case 'j': move(at + 1); break;
      case 'ArrowUp': case 'k': move(at - 1); break;
      case 'Home': move(0); break;
      case 'End': move(rows.length - 1); break;
      case 'ArrowRight':
        if (entry.hasChildren && !isOpen(entry)) setOpen(entry, true);
        else if (entry.hasChildren) move(at + 1);
        break;
      case 'ArrowLeft':
        if (entry.hasChildren && isOpen(entry)) setOpen(entry, false);
        else if (entry.parent) focus(entry.parent);
        break;
      case 'Enter': case ' ': choose(entry); break;
      default: return;
    }
    event.preventDefault();
    event.stopPropagation();
  });

  for (const process of processes) root.append(item(process, 'process', 1, null).li);
  const first = root.querySelector('.node');
  if (first) first.tabIndex = 0;

  let hiddenKinds = new Set();
  let matches = [];
  return {
    element: root,
    select(id) {
      const entry = byId.get(id);
      if (!entry) return false;
      choose(entry);
      entry.row.scrollIntoView({ block: 'center' });
      return true;
    },
    // Shows the nodes whose key contains text (case-insensitive), with their ancestors opened; hides the rest.
    search(text) {
      const needle = (text || '').trim().toLowerCase();
      matches = [];
      for (const entry of byId.values()) {
        entry.li.classList.remove('match', 'filtered-out', 'on-path');
        entry.row.classList.remove('match');
      }
      if (needle) {
        for (const entry of byId.values()) {
          if (hiddenKinds.has(entry.kind)) continue;
          if (entry.node.key.toLowerCase().includes(needle)) {
            matches.push(entry);
            entry.row.classList.add('match');
            entry.li.classList.add('on-path');
            for (let p = entry.parent; p; p = p.parent) { p.li.classList.add('on-path'); setOpen(p, true); }
          }
        }
        for (const entry of byId.values()) if (!entry.li.classList.contains('on-path')) entry.li.classList.add('filtered-out');
      }
      return matches.length;
    },
    nextMatch(index) {
      if (matches.length === 0) return;
      const entry = matches[((index % matches.length) + matches.length) % matches.length];
      focus(entry);
      entry.row.scrollIntoView({ block: 'center' });
    },
    setKinds(hidden) {
      hiddenKinds = hidden;
      for (const entry of byId.values()) entry.li.classList.toggle('kind-hidden', hidden.has(entry.kind));
    },
    expandAll(open) { for (const entry of byId.values()) setOpen(entry, open); },
    size: byId.size,
  };
}

function countNodes(processes) {
  let total = 0;
  for (const p of processes) total += 1 + p.files.length + p.dns.length + p.network.length + countNodes(p.children);
  return total;
}
