// The job page (/jobs/NAME): actions, slot ledger (ledger.js), timeline, executions, definition.
'use strict';

function jobPage(main, name) {
  document.title = name + ' · jetcron';
  const params = new URLSearchParams(location.search);
  const before = params.get('before') || '';
  const head = h('div', {class: 'title-row'});
  const overview = h('div', {class: 'cards'});
  const chart = h('div', {class: 'card'}, h('h2', null, 'Timeline'), h('p', {class: 'muted'}, 'Loading…'));
  const [ledger, drawSlots] = ledgerCard(name);
  const table = h('div', {class: 'card flush'});
  const definition = h('div', {class: 'card'});
  const revisions = h('div', {class: 'card', id: 'history-card'});
  const backfills = h('div', {class: 'card', id: 'backfill-card'});
  replace(main, head, overview, ledger, chart, table, definition, revisions, backfills);
  const backfillList = backfillCard(backfills, name);

  const load = async () => {
    let view = null;
    try {
      view = await api('/api/v1/jobs/' + encodeURIComponent(name));
    } catch (e) {
      if (e.status !== 404) throw e;
    }
    const page = await api(`/api/v1/jobs/${encodeURIComponent(name)}/executions?limit=50` + (before ? '&before=' + encodeURIComponent(before) : ''));
    const newest = before ? await api(`/api/v1/jobs/${encodeURIComponent(name)}/executions?limit=50`) : page;
    const shown = view && {status: view.status, reason: view.disabled_reason, description: view.description, labels: view.labels,
      health: view.health && [view.health.health, view.health.reason]};
    if (changed('head', shown)) drawHead(head, name, view);
    if (changed('job', view)) {
      drawOverview(overview, view);
      drawDefinition(definition, view);
    }
    if (changed('timeline', newest.executions)) drawTimeline(chart, newest.executions);
    drawSlots(view);
    if (changed('executions', page)) drawExecutions(table, name, page, before);
    const hist = await api(`/api/v1/jobs/${encodeURIComponent(name)}/history`).catch((e) => { if (e.status === 404) return null; throw e; });
    if (changed('history', hist)) drawHistory(revisions, name, hist, () => refresh());
    await backfillList();
  };
  const refresh = refresher(load, 400);
  refresh();
  follow({job: name}, () => refresh());
  setInterval(refresh, 10000); // health changes are not events

  // Actions.
  head.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button');
    if (!btn || btn.disabled) return;
    const path = '/api/v1/jobs/' + encodeURIComponent(name);
    try {
      switch (btn.id) {
        case 'run': {
          btn.disabled = true;
          const r = await api(path + '/run', {method: 'POST'});
          toast('Run requested: ', 'ok', h('a', {href: execURL(r.execution_id)}, r.execution_id));
          break;
        }
        case 'disable':
          $('#disable-form').hidden = false;
          $('#disable-reason').focus();
          break;
        case 'disable-cancel':
          $('#disable-form').hidden = true;
          break;
        case 'disable-confirm':
          btn.disabled = true;
          await api(path + '/disable', {method: 'POST', body: {reason: $('#disable-reason').value}});
          toast('Disabled ' + name, 'ok');
          break;
        case 'enable':
          btn.disabled = true;
          await api(path + '/enable', {method: 'POST'});
          toast('Enabled ' + name + '; it fires from now', 'ok');
          break;
        default:
          return;
      }
    } catch (e) {
      failed(e);
    } finally {
      btn.disabled = false;
    }
    refresh();
  });
  head.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target.id === 'disable-reason') $('#disable-confirm').click();
  });
}

function drawHead(head, name, v) {
  const disabling = $('#disable-form', head);
  const keep = disabling && !disabling.hidden ? $('#disable-reason', head).value : null;
  const actions = !v ? [] : [
    h('button', {id: 'run', class: 'primary', title: 'Run now (follows the overlap policy)'}, 'Run now'),
    v.status === 'disabled'
      ? h('button', {id: 'enable'}, 'Enable')
      : h('button', {id: 'disable'}, 'Disable…'),
  ];
  const form = h('div', {id: 'disable-form', class: 'inline-form', hidden: keep === null},
    h('input', {id: 'disable-reason', type: 'text', maxlength: 1024, placeholder: 'Reason (shown with the job)', 'aria-label': 'reason'}),
    h('button', {id: 'disable-confirm', class: 'danger'}, 'Disable'),
    h('button', {id: 'disable-cancel', class: 'link'}, 'Cancel'));
  replace(head,
    h('div', null,
      h('div', {class: 'crumbs'}, h('a', {href: '/'}, 'Jobs'), ' / '),
      h('h1', null, name, ' ', v ? statusBadges(v) : badge('deleted', 'definition deleted', 'the history stays')),
      v && v.status === 'disabled' && v.disabled_reason ? h('p', {class: 'reason', id: 'disabled-reason'}, 'Disabled: ', v.disabled_reason) : null,
      v && v.health && !['ok', 'paused'].includes(v.health.health) ? h('p', {class: 'reason', id: 'health-reason'}, 'Health ', v.health.health.replace('_', ' '), ': ', v.health.reason || '') : null,
      v && v.description ? h('p', {class: 'muted'}, v.description) : null,
      v && Object.keys(v.labels || {}).length ? h('div', {class: 'chips'}, labelChips(v.labels)) : null),
    h('div', {class: 'actions'}, actions, v && v.status !== 'disabled' ? form : null));
  if (keep !== null && $('#disable-reason', head)) $('#disable-reason', head).value = keep;
}

function drawOverview(box, v) {
  if (!v) {
    replace(box, h('div', {class: 'card'}, h('p', {class: 'muted'}, 'This job has no definition any more; its history stays below.')));
    return;
  }
  const sc = v.schedule || {};
  const state = v.state || {};
  replace(box,
    h('div', {class: 'card'}, h('h2', null, 'Schedule'),
      h('p', {class: 'big'}, v.schedule_text || scheduleWritten(sc)),
      h('p', null, h('code', null, scheduleWritten(sc)), ' · ', sc.tz || 'UTC'),
      state.error ? h('p', {class: 'problem'}, state.error) : null),
    h('div', {class: 'card'}, h('h2', null, 'Next fires'),
      v.status === 'disabled' ? h('p', {class: 'muted'}, 'None while disabled.')
        : v.next && v.next.length ? h('ol', {class: 'next'}, v.next.map((t) => h('li', null, fmtTime(t), ' ', h('span', {class: 'muted small'}, '(', when(t), ')'))))
          : h('p', {class: 'muted'}, v.status === 'completed' ? 'None: the job completed.' : 'None.'),
      skippedSlots(v)),
    h('div', {class: 'card'}, h('h2', null, 'Last 50 runs'), strip(v.runs),
      h('p', {class: 'muted small'}, `${v.runs.succeeded} succeeded of ${v.runs.ended} ended`,
        state.fired ? ` · fired ${state.fired} times` : '')),
    h('div', {class: 'card'}, h('h2', null, 'Task'),
      h('p', null, h('span', {class: 'chip'}, v.task.kind), ' ', h('code', {class: 'wrap'}, taskText(v.task))),
      h('p', {class: 'muted small'}, `queue ${v.queue || 'default'} · overlap ${v.overlap || 'delay'}` +
        (v.concurrency_key ? ` · concurrency key ${v.concurrency_key}` : '') +
        (v.timeout ? ` · timeout ${v.timeout}` : '') + (v.retry && v.retry.retries ? ` · ${v.retry.retries} retries` : '') +
        (v.retention && v.retention.logs ? ` · logs kept ${v.retention.logs}` + (v.retention.failed_logs ? ` (failures ${v.retention.failed_logs})` : '') : ''))),
    checkpointCard(v.checkpoint, state.buffered));
}

// checkpointCard shows the job's last success and the checkpoint it left
// for the next run, and the run waiting for its job or concurrency key.
function checkpointCard(cp, waiting) {
  if (!cp && !waiting) return null;
  const value = cp && cp.value ? (cp.value.length > 200 ? cp.value.slice(0, 200) + '…' : cp.value) : '';
  return h('div', {class: 'card', id: 'checkpoint'}, h('h2', null, 'Window'),
    cp ? h('p', null, 'Last success ', h('a', {href: execURL(cp.execution), class: 'mono'}, fmtTime(cp.last_success_slot)),
      h('span', {class: 'muted small'}, ' (', when(cp.updated_at), ')')) : h('p', {class: 'muted'}, 'No success yet.'),
    cp ? h('p', null, 'Checkpoint ', value ? h('code', {class: 'wrap'}, value) : h('span', {class: 'muted'}, 'none')) : null,
    waiting ? h('p', {class: 'muted small'}, 'Waiting: ', h('a', {href: execURL(waiting.id), class: 'mono'}, waiting.id),
      ' (delayed until its job or concurrency key frees)') : null);
}

// drawTimeline plots the newest runs: x is the slot time, the bar's height
// its duration, its colour its state.
function drawTimeline(card, xs) {
  const runs = (xs || []).filter((x) => x.scheduled_at).slice().sort((a, b) => new Date(a.scheduled_at) - new Date(b.scheduled_at));
  if (!runs.length) {
    replace(card, h('h2', null, 'Timeline'), h('p', {class: 'muted'}, 'No runs yet.'));
    return;
  }
  const W = 960, H = 170, L = 56, R = 12, T = 12, B = 30;
  const pw = W - L - R, ph = H - T - B;
  const t0 = new Date(runs[0].scheduled_at).getTime(), t1 = new Date(runs[runs.length - 1].scheduled_at).getTime();
  const span = Math.max(t1 - t0, 1000);
  const maxDur = Math.max(1, ...runs.map((x) => execDuration(x) || 0));
  const bw = Math.max(3, Math.min(16, (pw / runs.length) * 0.6));
  const xOf = (t) => L + bw / 2 + ((t - t0) / span) * (pw - bw);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'timeline', role: 'img', 'aria-label': 'durations of the last runs by slot time'},
    s('line', {x1: L, y1: T + ph, x2: W - R, y2: T + ph, class: 'axis'}),
    s('line', {x1: L, y1: T, x2: L, y2: T + ph, class: 'axis'}),
    s('text', {x: L - 6, y: T + 4, class: 'tick-label', 'text-anchor': 'end'}, fmtDur(maxDur)),
    s('text', {x: L - 6, y: T + ph, class: 'tick-label', 'text-anchor': 'end'}, '0'),
    s('text', {x: L, y: H - 8, class: 'tick-label'}, fmtTime(runs[0].scheduled_at)),
    runs.length > 1 ? s('text', {x: W - R, y: H - 8, class: 'tick-label', 'text-anchor': 'end'}, fmtTime(runs[runs.length - 1].scheduled_at)) : null,
    runs.map((x) => {
      const d = execDuration(x);
      const bh = d === null ? 3 : Math.max(2, (d / maxDur) * ph);
      const cx = xOf(new Date(x.scheduled_at).getTime());
      return s('a', {href: execURL(x.id)},
        s('rect', {x: cx - bw / 2, y: T + ph - bh, width: bw, height: bh, rx: 1.5, class: 'bar ' + stateClass(x.state), dataset: {id: x.id}},
          s('title', null, `${x.id}\n${x.state} · ${d === null ? 'did not run' : fmtDur(d)}\nslot ${fmtTime(x.scheduled_at)}`)));
    }));
  replace(card, h('h2', null, 'Timeline ', h('span', {class: 'muted small'}, `last ${runs.length} runs · bar height = duration · colour = state`)), svg, legend());
}

function legend() {
  return h('div', {class: 'legend'}, STATES.map((st) => h('span', null, h('i', {class: 'swatch ' + stateClass(st)}), st.replace('_', ' '))));
}

function drawExecutions(card, name, page, before) {
  const xs = page.executions || [];
  const rows = xs.map((x) => h('tr', {dataset: {id: x.id, state: x.state}},
    h('td', null, h('a', {href: execURL(x.id), class: 'mono'}, x.id)),
    h('td', null, statePill(x.state)),
    h('td', null, x.trigger || '—'),
    h('td', null, h('span', {title: x.scheduled_at}, fmtTime(x.scheduled_at))),
    h('td', null, fmtTime(x.started_at)),
    h('td', {class: 'num'}, fmtDur(execDuration(x))),
    h('td', {class: 'num'}, x.exit_code === null || x.exit_code === undefined ? '—' : x.exit_code),
    h('td', {class: 'num'}, x.attempt || '—'),
    h('td', {class: 'mono small'}, x.worker || '—')));
  const nav = h('div', {class: 'pager'},
    before ? h('a', {href: jobURL(name), id: 'newest'}, '« Newest') : null,
    page.next ? h('a', {href: jobURL(name) + '?before=' + page.next, id: 'older'}, 'Older »') : null);
  replace(card,
    h('div', {class: 'card-head'}, h('h2', null, 'Executions ', h('span', {class: 'muted small'}, before ? 'older page' : 'newest first')), nav),
    h('table', {class: 'grid execs'},
      h('thead', null, h('tr', null, ['Execution', 'State', 'Trigger', 'Scheduled', 'Started', 'Duration', 'Exit', 'Attempt', 'Worker'].map((t) => h('th', null, t)))),
      h('tbody', {id: 'executions'}, rows.length ? rows : h('tr', null, h('td', {colspan: 9, class: 'empty'}, 'No executions yet.')))));
}

// renderValue shows a JSON value readably: objects as nested lists.
function renderValue(v) {
  if (v === null || v === undefined) return h('span', {class: 'muted'}, '—');
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return h('code', {class: 'wrap'}, v.map((x) => JSON.stringify(x)).join(' '));
    return h('ol', null, v.map((x) => h('li', null, renderValue(x))));
  }
  if (typeof v === 'object') {
    return h('dl', {class: 'kv'}, Object.entries(v).map(([k, x]) => [h('dt', null, k), h('dd', null, renderValue(x))]));
  }
  return h('code', {class: 'wrap'}, typeof v === 'string' ? v : JSON.stringify(v));
}

function drawDefinition(card, v) {
  if (!v) {
    replace(card, h('h2', null, 'Definition'), h('p', {class: 'muted'}, 'Deleted.'));
    return;
  }
  const {runs, revision, status, next, schedule_text, state, health, ...spec} = v;
  const full = {...spec, revision, status, next, schedule_text, state, health};
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  replace(card,
    h('h2', null, 'Definition ', h('span', {class: 'muted small'}, 'revision ' + revision)),
    renderValue(spec),
    h('details', null, h('summary', null, 'As JSON (', h('code', null, 'jetcron job get ' + v.name + ' -o json'), ')'),
      h('pre', {class: 'json', id: 'definition-json'}, JSON.stringify(full, null, 2))));
}
