// The execution page (/executions/ID): timing, details, attempts, the log.
'use strict';

function executionPage(main, id) {
  document.title = id + ' · jetcron';
  const head = h('div', {class: 'title-row'});
  const details = h('div', {class: 'cards'});
  const attempts = h('div', {class: 'card flush'});
  const logStatus = h('span', {class: 'muted small', id: 'log-status'});
  const download = h('a', {id: 'log-download', href: `/api/v1/executions/${encodeURIComponent(id)}/log?download=true`, hidden: true}, 'Download');
  const pre = h('pre', {id: 'log', class: 'log', tabindex: 0});
  const logCard = h('div', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Log ', logStatus), download), pre);
  replace(main, head, details, attempts, logCard);

  let logStarted = false;
  let x = null;
  const load = async () => {
    try {
      x = await api('/api/v1/executions/' + encodeURIComponent(id));
    } catch (e) {
      if (e.status !== 404) throw e;
      replace(head, h('div', null, h('h1', {class: 'mono'}, id), h('p', {class: 'muted', id: 'waiting'}, 'No event of this execution yet: it waits for its time, or does not exist.')));
      return;
    }
    if (changed('execution', x)) {
      drawExecHead(head, x);
      drawExecDetails(details, x);
      drawAttempts(attempts, x);
    }
    if (!logStarted) {
      logStarted = true;
      readLog(id, x, pre, logStatus, download).then(() => refresh());
    } else if (FINAL.has(x.state) && x.log_url) {
      download.hidden = false;
    }
  };
  const refresh = refresher(load, 200);
  refresh();
  follow({execution: id}, () => refresh());

  head.addEventListener('click', async (ev) => {
    if (!ev.target.closest('#cancel')) return;
    try {
      const r = await api(`/api/v1/executions/${encodeURIComponent(id)}/cancel`, {method: 'POST', body: {reason: 'cancelled from the web UI'}});
      toast(r.result === 'cancelling' ? 'Cancelling on ' + r.worker
        : r.after_attempt ? 'Cancelled: attempt ' + r.after_attempt + ' ran on ' + r.worker + ' before the cancel reached it; no retry will run'
        : 'Cancelled', 'ok');
    } catch (e) {
      failed(e);
    }
    refresh();
  });
}

// readLog shows the log: followed live from the first byte while the
// execution has not ended, the stored log afterwards.
async function readLog(id, x, pre, status, download) {
  const live = !FINAL.has(x.state);
  const url = `/api/v1/executions/${encodeURIComponent(id)}/log` + (live ? '?follow=true' : '');
  status.textContent = live ? '· live' : '· stored';
  status.className = live ? 'live-tag' : 'muted small';
  pre.dataset.complete = 'false';
  let res;
  try {
    res = await fetch(url, {credentials: 'same-origin'});
  } catch (e) {
    status.textContent = '· could not be read';
    return;
  }
  if (!res.ok) {
    let msg = 'HTTP ' + res.status;
    try { msg = (await res.json()).error; } catch (e) { /* not JSON */ }
    replace(pre, h('span', {class: 'muted'}, res.status === 404 ? 'No output was stored for this execution.' : msg));
    status.textContent = '';
    pre.dataset.complete = 'true';
    return;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let bytes = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    bytes += value.length;
    if (bytes > MAX_LOG_BYTES) {
      pre.append(dec.decode(value.subarray(0, value.length - (bytes - MAX_LOG_BYTES))));
      pre.append(h('span', {class: 'truncated'}, '\n… the page shows the first 2 MiB; download the log for everything.'));
      reader.cancel();
      break;
    }
    pre.append(dec.decode(value, {stream: true}));
    if (stick) pre.scrollTop = pre.scrollHeight;
  }
  pre.append(dec.decode());
  pre.normalize();
  if (!pre.textContent) pre.append(h('span', {class: 'muted'}, 'This execution printed nothing.'));
  pre.dataset.complete = 'true';
  status.textContent = '· ' + fmtBytes(bytes) + (live ? ' · ended' : ' · stored');
  status.className = 'muted small';
  download.hidden = false;
}

function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}

function drawExecHead(head, x) {
  replace(head,
    h('div', null,
      h('div', {class: 'crumbs'}, h('a', {href: '/'}, 'Jobs'), ' / ', h('a', {href: jobURL(x.job), id: 'job-link'}, x.job), ' / '),
      h('h1', {class: 'mono'}, x.id, ' ', h('span', {id: 'exec-state'}, statePill(x.state)))),
    h('div', {class: 'actions'}, FINAL.has(x.state) ? null : h('button', {id: 'cancel', class: 'danger'}, 'Cancel')));
}

function drawExecDetails(box, x) {
  const sched = x.scheduled_at, started = x.started_at, finished = x.finished_at;
  const wait = started ? new Date(started) - new Date(sched) : null;
  const run = execDuration(x);
  const steps = h('div', {class: 'steps'},
    h('div', {class: 'step done'}, h('b', null, 'scheduled'), h('span', null, fmtTime(sched)),
      x.tz && x.tz !== 'UTC' && x.scheduled_local ? h('span', {class: 'muted small'}, x.scheduled_local + ' ' + x.tz) : null),
    h('div', {class: 'arrow'}, wait !== null ? fmtDur(wait) : ''),
    h('div', {class: 'step' + (started ? ' done' : '')}, h('b', null, 'started'), h('span', null, fmtTime(started))),
    h('div', {class: 'arrow'}, run !== null ? fmtDur(run) : ''),
    h('div', {class: 'step' + (finished ? ' done' : '')}, h('b', null, 'finished'), h('span', null, fmtTime(finished))));
  const rows = [
    ['Trigger', x.trigger || '—'],
    ['Exit code', x.exit_code === null || x.exit_code === undefined ? '—' : h('span', {id: 'exit-code'}, String(x.exit_code))],
    ['Attempt', x.attempt || '—'],
    ['Worker', x.worker ? h('a', {href: '/workers', class: 'mono'}, x.worker) : '—'],
    ['Queue', x.queue || '—'],
    x.error ? ['Error', h('span', {class: 'problem'}, x.error)] : null,
    x.next_attempt_at ? ['Next attempt', [fmtTime(x.next_attempt_at), ' (', when(x.next_attempt_at), ')']] : null,
    x.params && Object.keys(x.params).length ? ['Params', h('div', {class: 'chips'}, labelChips(x.params))] : null,
    x.parent_id ? ['Parent', h('a', {href: execURL(x.parent_id), class: 'mono', id: 'parent'}, x.parent_id)] : null,
    x.follow_ups && x.follow_ups.length ? ['Follow-ups', h('ul', {class: 'plain', id: 'follow-ups'}, x.follow_ups.map((f) => h('li', null, h('a', {href: execURL(f), class: 'mono'}, f))))] : null,
    x.spec_revision ? ['Definition revision', x.spec_revision] : null,
  ].filter(Boolean);
  replace(box,
    h('div', {class: 'card wide'}, h('h2', null, 'Timing'), steps),
    h('div', {class: 'card wide'}, h('h2', null, 'Details'),
      h('dl', {class: 'kv cols'}, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      x.notes && x.notes.length ? h('ul', {class: 'notes'}, x.notes.map((n) => h('li', null, n))) : null));
}

function drawAttempts(card, x) {
  const as = x.attempts || [];
  replace(card, h('div', {class: 'card-head'}, h('h2', null, 'Attempts')),
    h('table', {class: 'grid'},
      h('thead', null, h('tr', null, ['#', 'Worker', 'State', 'Started', 'Finished', 'Exit', 'Error', 'Log'].map((t) => h('th', null, t)))),
      h('tbody', {id: 'attempts'}, as.length ? as.map((a) => h('tr', null,
        h('td', {class: 'num'}, a.n),
        h('td', {class: 'mono small'}, a.worker),
        h('td', null, statePill(a.state)),
        h('td', null, fmtTime(a.started_at)),
        h('td', null, fmtTime(a.finished_at)),
        h('td', {class: 'num'}, a.exit_code === null || a.exit_code === undefined ? '—' : a.exit_code),
        h('td', {class: 'problem'}, a.error || ''),
        h('td', null, a.log_url ? h('a', {href: `/api/v1/executions/${encodeURIComponent(x.id)}/log?attempt=${a.n}`}, 'log') : '—')))
        : h('tr', null, h('td', {colspan: 8, class: 'empty'}, 'Not started yet.')))));
}
