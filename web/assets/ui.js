// jetcron web UI, shared parts. Every page is drawn from the HTTP API
// (/api/v1/) with DOM text nodes only — never innerHTML — so whatever a job
// prints or is named is shown as text. Pages follow the events stream
// (server-sent events) and refetch what an event changes; nothing needs a
// reload. The scripts load in order: ui.js, one file per page, app.js.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const SVG = 'http://www.w3.org/2000/svg';
const STATES = ['scheduled', 'running', 'retrying', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped', 'missed'];
const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'skipped', 'missed']);
const MAX_LOG_BYTES = 2 << 20; // shown in the page; the download has everything

// ---------------------------------------------------------------- DOM helpers

// h builds an element: h('a', {href: '/x', class: 'y'}, 'text', child, [more]).
function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s builds an SVG element.
function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function replace(el, ...children) {
  el.replaceChildren();
  return build(el, null, children);
}

const jobURL = (name) => '/jobs/' + encodeURIComponent(name);
const execURL = (id) => '/executions/' + encodeURIComponent(id);
const stateClass = (st) => 's-' + (STATES.includes(st) ? st : 'unknown');

function statePill(st, href) {
  const label = (st || 'unknown').replace('_', ' ');
  const el = h('span', {class: 'state ' + stateClass(st), dataset: {state: st || ''}}, label);
  return href ? h('a', {href, class: 'pill-link'}, el) : el;
}

function badge(kind, text, title) {
  return h('span', {class: 'badge ' + kind, title}, text);
}

function labelChips(labels) {
  return Object.entries(labels || {}).sort().map(([k, v]) => h('span', {class: 'chip'}, k + '=' + v));
}

// ------------------------------------------------------------ time and sizes

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function fmtDur(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return '—';
  if (ms < 1000) return Math.max(0, Math.round(ms)) + 'ms';
  const sec = ms / 1000;
  if (sec < 60) return (sec < 10 ? sec.toFixed(1) : Math.round(sec)) + 's';
  const m = Math.floor(sec / 60), r = Math.round(sec % 60);
  if (m < 60) return `${m}m ${r}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function rel(iso) {
  if (!iso) return '—';
  const ms = new Date(iso) - Date.now();
  const abs = Math.abs(ms);
  let t;
  if (abs < 1000) return 'now';
  if (abs < 60e3) t = Math.round(abs / 1e3) + 's';
  else if (abs < 3600e3) t = Math.round(abs / 60e3) + 'm';
  else if (abs < 86400e3) t = Math.round(abs / 3600e3) + 'h';
  else t = Math.round(abs / 86400e3) + 'd';
  return ms > 0 ? 'in ' + t : t + ' ago';
}

// when shows a time as "3m ago" that stays current, the exact time on hover.
function when(iso) {
  if (!iso) return h('span', {class: 'muted'}, '—');
  return h('time', {datetime: iso, title: fmtTime(iso) + ' (' + iso + ')', dataset: {rel: iso}}, rel(iso));
}

setInterval(() => {
  for (const el of document.querySelectorAll('[data-rel]')) el.textContent = rel(el.dataset.rel);
}, 1000);

function execDuration(x) {
  if (x.started_at && x.finished_at) return new Date(x.finished_at) - new Date(x.started_at);
  if (x.started_at && x.state === 'running') return Date.now() - new Date(x.started_at);
  return null;
}

// ---------------------------------------------------------------- the API

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || 'HTTP ' + status);
    this.status = status;
    this.field = body && body.field;
  }
}

async function api(path, opts = {}) {
  const init = {method: opts.method || 'GET', headers: {Accept: 'application/json'}, credentials: 'same-origin'};
  if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    throw new APIError(401, {error: 'sign in required'});
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!res.ok) throw new APIError(res.status, body);
  if (opts.page) return {body, next: nextAfter(res.headers.get('Link'))};
  return body;
}

// nextAfter returns the after cursor of a Link header's rel="next" page,
// or ''.
function nextAfter(link) {
  const m = /<([^>]*)>;\s*rel="next"/.exec(link || '');
  return m ? new URL(m[1], location.origin).searchParams.get('after') || '' : '';
}

function toast(message, kind = 'info', link) {
  const el = h('div', {class: 'toast ' + kind}, message, link ? [' ', link] : null);
  $('#toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 5000);
}

function failed(err) {
  const field = err.field ? ` (${err.field})` : '';
  toast(err.message + field, 'error');
}

// ------------------------------------------------------------- live updates

// changed reports whether data differs from what was last drawn under key,
// so that a refresh that brings nothing new leaves the page alone (a click
// in progress is not lost to a redraw).
const drawn = new Map();
function changed(key, data) {
  const json = JSON.stringify(data);
  if (drawn.get(key) === json) return false;
  drawn.set(key, json);
  return true;
}

// refresher runs fn at most once per wait, and again if asked meanwhile.
function refresher(fn, wait = 250) {
  let timer = null, running = false, again = false;
  async function run() {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } catch (e) { if (e.status !== 401) failed(e); }
    running = false;
    if (again) { again = false; schedule(); }
  }
  function schedule() { if (!timer) timer = setTimeout(run, wait); }
  return schedule;
}

// follow subscribes to events (of a job or execution when given) and calls
// onEvent for each, and with null on every (re)connection (events may have
// been missed while disconnected).
function follow(params, onEvent) {
  const live = $('#live');
  const q = new URLSearchParams(params || {}).toString();
  const es = new EventSource('/api/v1/events' + (q ? '?' + q : ''));
  es.onopen = () => {
    live.className = 'live on';
    live.textContent = 'live';
    onEvent(null);
  };
  es.onmessage = (m) => {
    let e;
    try { e = JSON.parse(m.data); } catch (err) { return; }
    onEvent(e);
  };
  es.onerror = () => {
    live.className = 'live off';
    live.textContent = 'reconnecting…';
  };
  addEventListener('pagehide', () => es.close());
  return es;
}

// ------------------------------------------------------------ schedule text

function scheduleWritten(sc) {
  if (!sc) return '';
  if (sc.schedules && sc.schedules.length) {
    return [sc.cron, sc.every ? 'every ' + sc.every : '', ...sc.schedules.map((it) => it.cron || 'every ' + it.every)].filter(Boolean).join(' + ');
  }
  if (sc.cron) return sc.cron;
  if (sc.every) return 'every ' + sc.every;
  if (sc.at) return 'at ' + sc.at;
  return '';
}

function taskText(t) {
  if (!t) return '';
  const quote = (a) => /^[\w@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\\''") + "'";
  switch (t.kind) {
    case 'command': return (t.command || []).map(quote).join(' ');
    case 'script': return `${t.interpreter} ${t.script ? t.script.name || t.script.key : ''} ${(t.args || []).map(quote).join(' ')}`.trim();
    case 'http': return `${(t.http && t.http.method) || 'GET'} ${t.http ? t.http.url : ''}`;
    case 'go': return 'Go handler ' + t.handler;
  }
  return t.kind || '';
}

// strip draws the last runs, oldest left, newest right, as small bars.
function strip(runs) {
  const recent = (runs && runs.recent) || [];
  const bars = recent.slice().reverse().map((r) =>
    h('a', {class: 'tick ' + stateClass(r.state), href: execURL(r.id), title: `${r.id}: ${r.state}`}));
  const rate = runs && runs.success_rate !== undefined && runs.success_rate !== null
    ? h('span', {class: 'rate', title: `${runs.succeeded} of ${runs.ended} ended runs succeeded`}, Math.round(runs.success_rate * 100) + '%')
    : h('span', {class: 'rate muted'}, recent.length ? '—' : 'no runs');
  return h('span', {class: 'strip-wrap'}, h('span', {class: 'strip', 'aria-label': 'last runs'}, bars), rate);
}

function statusBadges(j) {
  return [
    j.status === 'disabled' ? badge('disabled', 'disabled', j.disabled_reason || 'paused') : null,
    j.status === 'completed' ? badge('completed', 'completed', 'the schedule has no further slot') : null,
    healthBadge(j),
  ];
}

// healthBadge shows the job's health as the scheduler replicas' watchdogs
// stored it (a paused job already shows its disabled badge).
function healthBadge(j) {
  const hl = j.health;
  if (!hl || hl.health === 'paused') return null;
  const text = hl.health === 'too_short' ? 'too short' : hl.health;
  const title = (hl.reason || 'as expected') + (hl.since ? ' (since ' + fmtTime(hl.since) + ')' : '');
  return h('span', {class: 'badge health h-' + hl.health, title, dataset: {health: hl.health}}, text);
}
