// The job page's backfill card: preview which past slots of a window would
// run again (a dry run), start the backfill, follow and cancel it.
'use strict';

function backfillCard(card, name, refresh) {
  const path = '/api/v1/jobs/' + encodeURIComponent(name);
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const now = new Date();
  const from = h('input', {id: 'bf-from', type: 'datetime-local', step: 1, value: local(new Date(now.getTime() - 86400000)), 'aria-label': 'from'});
  const to = h('input', {id: 'bf-to', type: 'datetime-local', step: 1, value: local(now), 'aria-label': 'to'});
  const only = h('select', {id: 'bf-only', 'aria-label': 'only'},
    h('option', {value: 'missed'}, 'missed slots'), h('option', {value: 'failed'}, 'failed runs'), h('option', {value: 'all'}, 'missed and failed'));
  const par = h('input', {id: 'bf-parallel', type: 'number', min: 1, max: 100, value: 1, 'aria-label': 'max parallel'});
  const result = h('div', {id: 'bf-result'});
  const list = h('div', {id: 'bf-list'});
  const body = (dry) => ({from: new Date(from.value).toISOString(), to: new Date(to.value).toISOString(), only: only.value, max_parallel: Number(par.value), dry_run: dry});
  replace(card,
    h('h2', null, 'Backfill ', h('span', {class: 'muted small'}, 'run past slots again: those that did not run, or whose run failed')),
    h('div', {class: 'inline-form'}, 'From ', from, ' to ', to, ' ', only, ' at most ', par, ' at a time ',
      h('button', {id: 'bf-preview'}, 'Preview'), h('button', {id: 'bf-start', class: 'primary', disabled: true}, 'Start backfill')),
    result, list);

  let polling = null;
  const drawList = async () => {
    const bs = await api(path + '/backfills');
    // A backfill's progress is not all in the events the page follows
    // (the leader marks it done a moment after its last run): poll while
    // one runs.
    if (!polling && bs.some((b) => b.state === 'running')) {
      polling = setTimeout(() => { polling = null; drawList().catch(failed); }, 1000);
    }
    if (!changed('backfills', bs)) return;
    replace(list, bs.length ? h('table', {class: 'grid backfills'},
      h('thead', null, h('tr', null, ['Backfill', 'State', 'Ended', 'Running', 'Waiting', 'By', ''].map((t) => h('th', null, t)))),
      h('tbody', null, bs.map((b) => {
        const n = {ended: 0, started: 0, waiting: 0};
        for (const s of b.slots) n[s.status]++;
        return h('tr', {dataset: {backfill: b.id, state: b.state}},
          h('td', {class: 'mono small'}, b.id), h('td', null, b.state + (b.reason ? ': ' + b.reason : '')),
          h('td', {class: 'num'}, `${n.ended}/${b.slots.length}`), h('td', {class: 'num'}, n.started), h('td', {class: 'num'}, n.waiting),
          h('td', null, b.by || '—'),
          h('td', null, b.state === 'running' ? h('button', {class: 'link danger', dataset: {cancel: b.id}}, 'Cancel') : null));
      }))) : null);
  };

  card.onclick = async (ev) => {
    const btn = ev.target.closest('button');
    if (!btn || btn.disabled) return;
    try {
      btn.disabled = true;
      if (btn.id === 'bf-preview' || btn.id === 'bf-start') {
        const dry = btn.id === 'bf-preview';
        const r = await api(path + '/backfill', {method: 'POST', body: body(dry)});
        const rows = r.selection.run.map((p) => ({slot: p.slot, id: p.execution_id, act: 'run', why: p.why}))
          .concat(r.selection.skip.map((s) => ({slot: s.slot, id: s.execution_id, act: 'skip', why: s.reason})))
          .sort((a, b) => new Date(a.slot) - new Date(b.slot));
        replace(result,
          h('p', null, dry ? `${r.selection.run.length} slot(s) would run, ${r.parallel} at a time; ${r.selection.skip.length} skipped. Nothing has changed.`
            : r.backfill ? `Backfill ${r.backfill.id} started: ${r.selection.run.length} slot(s), ${r.parallel} at a time.` : 'Nothing to run.'),
          rows.length ? h('table', {class: 'grid bf-slots'},
            h('thead', null, h('tr', null, ['Slot', 'Execution', 'Action', 'Why'].map((t) => h('th', null, t)))),
            h('tbody', null, rows.map((x) => h('tr', {dataset: {action: x.act}}, h('td', null, fmtTime(x.slot)), h('td', {class: 'mono small'}, x.id), h('td', null, x.act), h('td', null, x.why))))) : null);
        $('#bf-start').disabled = !dry || r.selection.run.length === 0;
        if (!dry) { toast('Backfill started', 'ok'); drawList(); }
        if (dry) return; // keep Start enabled
      } else if (btn.dataset.cancel) {
        await api(path + '/backfill/cancel', {method: 'POST', body: {id: btn.dataset.cancel}});
        toast('Backfill ' + btn.dataset.cancel + ' cancelled', 'ok');
        drawList();
      }
    } catch (e) {
      failed(e);
    } finally {
      if (btn.id !== 'bf-start') btn.disabled = false;
    }
  };
  for (const el of [from, to, only, par]) el.addEventListener('input', () => { $('#bf-start').disabled = true; });
  drawList().catch(failed);
  return drawList;
}
