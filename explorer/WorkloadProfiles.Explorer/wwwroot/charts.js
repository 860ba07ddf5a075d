// Charts of the explorer, drawn with uPlot (served by the explorer itself from /vendor/, installed by the build from npm).
// Every chart also carries its numbers in a table under "Data", so what a chart shows can be read exactly, by a screen
// reader or a test. Charts are mounted once their card is in the page (uPlot needs a width) and follow the window size.
'use strict';

const KIND_COLOURS = { process: '#5b4bdb', file: '#3a7bd5', dns: '#1f9d63', network: '#d89614' };
const KINDS = ['process', 'file', 'dns', 'network'];
const KIND_LABELS = { process: 'Processes', file: 'Files', dns: 'DNS', network: 'Network' };
const liveCharts = new Set();
// Counts have whole-number ticks.
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

window.addEventListener('resize', () => {
  for (const chart of liveCharts) {
    if (!chart.root.isConnected) { liveCharts.delete(chart); chart.destroy(); continue; }
    chart.setSize({ width: chartWidth(chart.root.parentElement), height: chart.height });
  }
});

function destroyCharts() {
  for (const chart of liveCharts) chart.destroy();
  liveCharts.clear();
}

function chartWidth(host) {
  return Math.max(240, Math.floor(host.clientWidth || host.getBoundingClientRect().width || 480));
}

// Stacked bars: uPlot draws each series from zero, so series carry running sums and the tallest is drawn first.
function stacked(series) {
  const sums = [];
  let running = null;
  for (const s of series) {
    running = s.values.map((v, i) => (running ? running[i] : 0) + (v || 0));
    sums.push({ ...s, values: running });
  }
  return sums.reverse();
}

/**
 * A chart card: title, legend, the canvas host, a hover readout and the data table. mount() draws it (after the card is
 * in the page). spec: { id, title, note, x: [...], xLabel, xFormat(v), time: bool, bars: [{label, values, colour}],
 * stack: bool, lines: [{label, values, colour, scale: 'total'}], markers: [{x, label, colour}], hLines: [{y, label, scale}],
 * yLabel, y2Label }.
 */
function chartCard(spec) {
  const host = h('div', { class: 'chart-host' });
  const readout = h('div', { class: 'chart-readout muted', 'aria-live': 'off' }, 'Point at a bar for its numbers.');
  const all = [...spec.bars, ...(spec.lines || [])];
  const legend = h('div', { class: 'chart-legend' }, all.map(s =>
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch', dataset: { colour: s.colour } }), s.label)));
  for (const swatch of legend.querySelectorAll('.swatch')) swatch.style.background = swatch.dataset.colour;
  const format = spec.xFormat || (v => spec.time ? when(new Date(v * 1000).toISOString()) : String(v));
  const data = h('details', { class: 'chart-data' }, h('summary', {}, 'Data'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, spec.xLabel || ''), all.map(s => h('th', {}, s.label)))),
      h('tbody', {}, spec.x.map((x, i) => h('tr', { dataset: { x: String(x) } },
        h('td', {}, format(x)), all.map(s => h('td', { dataset: { series: s.label } }, fmtNumber(s.values[i]))))))));
  const card = h('div', { class: 'card chart-card', id: spec.id, dataset: { points: String(spec.x.length) } },
    h('h2', {}, spec.title), spec.note ? h('div', { class: 'legend' }, spec.note) : null, legend, host, readout, data);
  card.mount = () => mountChart(spec, host, readout, format);
  return card;
}

function mountChart(spec, host, readout, format) {
  if (typeof uPlot === 'undefined') { host.replaceChildren(h('p', { class: 'error' }, 'The chart library did not load.')); return; }
  if (spec.x.length === 0) { host.replaceChildren(h('div', { class: 'empty' }, 'No data yet.')); return; }
  const barSeries = spec.stack ? stacked(spec.bars) : spec.bars;
  const bars = uPlot.paths.bars({ size: [0.86, 60], align: spec.time ? 1 : 0 });
  const series = [{}];
  const data = [spec.x];
  for (const s of barSeries) {
    series.push({ label: s.label, stroke: s.colour, fill: s.colour + 'cc', width: 0, paths: bars, points: { show: false }, scale: 'y' });
    data.push(s.values);
  }
  for (const s of spec.lines || []) {
    series.push({ label: s.label, stroke: s.colour, width: 2, scale: s.scale || 'y', points: { show: spec.x.length < 40, size: 5 } });
    data.push(s.values);
  }
  const usesTotal = (spec.lines || []).some(s => s.scale === 'total');
  const maxOf = scale => Math.max(1, ...series.slice(1).flatMap((s, i) => s.scale === scale ? data[i + 1] : []).map(v => v || 0),
    ...(spec.hLines || []).filter(l => (l.scale || 'y') === scale && l.fit).map(l => l.y));
  const axisFont = '11px -apple-system, "Segoe UI", Roboto, sans-serif';
  const axes = [
    { font: axisFont, stroke: '#6b7585', grid: { stroke: '#eef0f4' }, ...(spec.time ? {} : { values: (u, ticks) => ticks.map(t => Number.isInteger(t) ? format(t) : '') }) },
    { scale: 'y', font: axisFont, stroke: '#6b7585', grid: { stroke: '#eef0f4' }, label: spec.yLabel, labelFont: axisFont, size: 46, incrs: COUNT_STEPS },
  ];
  if (usesTotal) axes.push({ scale: 'total', side: 1, font: axisFont, stroke: '#6b7585', grid: { show: false }, label: spec.y2Label, labelFont: axisFont, size: 46, incrs: COUNT_STEPS });
  const step = spec.x.length > 1 ? spec.x[1] - spec.x[0] : 1;
  const options = {
    width: chartWidth(host),
    height: 200,
    legend: { show: false },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: {
      x: spec.time ? { time: true, range: () => [spec.x[0], spec.x[spec.x.length - 1] + step] } : { time: false, range: () => [-0.6, spec.x.length - 0.4] },
      y: { range: () => [0, Math.ceil(maxOf('y') * 1.1)] },
      ...(usesTotal ? { total: { range: () => [0, Math.ceil(maxOf('total') * 1.1)] } } : {}),
    },
    axes,
    series,
    hooks: {
      draw: [u => drawMarkers(u, spec)],
      setCursor: [u => {
        const i = u.cursor.idx;
        if (i === null || i === undefined) return;
        const parts = [...spec.bars, ...(spec.lines || [])].map(s => `${s.label}: ${fmtNumber(s.values[i])}`);
        readout.textContent = `${format(spec.x[i])} — ${parts.join(' · ')}`;
      }],
    },
  };
  host.replaceChildren();
  const chart = new uPlot(options, data, host);
  chart.height = options.height;
  liveCharts.add(chart);
}

// Vertical markers (events, a threshold on the x axis) and horizontal lines (a threshold on a y scale).
function drawMarkers(u, spec) {
  const ctx = u.ctx;
  ctx.save();
  ctx.font = `${11 * devicePixelRatio}px -apple-system, "Segoe UI", Roboto, sans-serif`;
  for (const m of spec.markers || []) {
    const x = Math.round(u.valToPos(m.x, 'x', true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.strokeStyle = m.colour || '#1c2330';
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.lineWidth = devicePixelRatio;
    ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.fillStyle = m.colour || '#1c2330';
    ctx.fillText(m.label, x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
  }
  for (const l of spec.hLines || []) {
    const y = Math.round(u.valToPos(l.y, l.scale || 'y', true));
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
    ctx.strokeStyle = l.colour || '#d2453d';
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.lineWidth = devicePixelRatio;
    ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
    ctx.fillStyle = l.colour || '#d2453d';
    ctx.textAlign = 'right';
    ctx.fillText(l.label, u.bbox.left + u.bbox.width - 6 * devicePixelRatio, y - 5 * devicePixelRatio);
    ctx.textAlign = 'left';
  }
  ctx.restore();
}

function fmtNumber(value) {
  if (value === null || value === undefined) return '—';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
}

// A progress bar (role=progressbar) with its text: "4 of 200 snapshots".
function progress(id, fraction, text) {
  const clamped = Math.max(0, Math.min(1, fraction || 0));
  const fill = h('span');
  fill.style.width = `${clamped * 100}%`;
  return h('div', { class: 'progress-row', id },
    h('div', { class: `progress${clamped >= 1 ? ' full' : ''}`, role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(Math.round(clamped * 100)), 'aria-label': text }, fill),
    h('span', { class: 'progress-text' }, text));
}
