// The job page's history card: every revision of the definition (who, when,
// why, what changed), its diff with the current one, and rollback.
'use strict';

function drawHistory(card, name, hist, refresh) {
  const revs = ((hist && hist.revisions) || []).slice().reverse(); // newest first
  const path = '/api/v1/jobs/' + encodeURIComponent(name);
  const detail = h('div', {id: 'history-detail'});
  const rows = revs.map((r) => {
    const current = r.revision === hist.current;
    const op = r.rollback_of ? `rollback to ${r.rollback_of}` : r.op;
    const who = r.web_user ? r.web_user + ' (web)' : (r.by || 'unknown');
    return h('tr', {dataset: {revision: r.revision}},
      h('td', {class: 'num'}, r.revision, current ? ' ' : null, current ? badge('ok', 'current', 'the definition in force') : null),
      h('td', null, fmtTime(r.time)),
      h('td', null, who),
      h('td', null, op),
      h('td', null, r.reason || '—'),
      h('td', null, h('code', {class: 'wrap'}, r.summary || '—')),
      h('td', null,
        !current && hist.current ? h('button', {class: 'link', dataset: {diff: r.revision}}, 'Diff') : null,
        !current && r.spec ? h('button', {class: 'link', dataset: {rollback: r.revision}}, 'Roll back…') : null));
  });
  replace(card,
    h('h2', null, 'History ', h('span', {class: 'muted small'}, 'revisions of the definition, newest first')),
    h('table', {class: 'grid history'},
      h('thead', null, h('tr', null, ['Rev', 'Time', 'Who', 'Change', 'Reason', 'Summary', ''].map((t) => h('th', null, t)))),
      h('tbody', {id: 'history'}, rows.length ? rows : h('tr', null, h('td', {colspan: 7, class: 'empty'}, 'No revisions kept.')))),
    detail);

  card.onclick = async (ev) => {
    const btn = ev.target.closest('button');
    if (!btn || btn.disabled) return;
    try {
      if (btn.dataset.diff) {
        const d = await api(`${path}/diff?from=${btn.dataset.diff}`);
        replace(detail, h('h3', null, `Revision ${d.from} → current (${d.to})`), previewBlock(d.changes, d.fires));
      } else if (btn.dataset.rollback) {
        const rev = Number(btn.dataset.rollback);
        const p = await api(path + '/rollback', {method: 'POST', body: {to: rev, dry_run: true}});
        const reason = h('input', {id: 'rollback-reason', type: 'text', maxlength: 1024, placeholder: 'Reason (kept in the history)', 'aria-label': 'reason'});
        replace(detail, h('h3', null, `Roll back to revision ${rev}`),
          p.result === 'unchanged' ? h('p', {class: 'muted'}, 'Revision ' + rev + ' is the current definition.') : previewBlock(p.preview.diff, p.preview.fires),
          h('div', {class: 'inline-form'}, reason,
            h('button', {id: 'rollback-confirm', class: 'danger', dataset: {to: rev}}, 'Roll back'),
            h('button', {id: 'rollback-cancel', class: 'link'}, 'Cancel')));
        reason.focus();
      } else if (btn.id === 'rollback-cancel') {
        replace(detail);
      } else if (btn.id === 'rollback-confirm') {
        btn.disabled = true;
        const r = await api(path + '/rollback', {method: 'POST', body: {to: Number(btn.dataset.to), reason: $('#rollback-reason').value}});
        toast(`Rolled back to revision ${btn.dataset.to} as revision ${r.job.revision}`, 'ok');
        replace(detail);
        refresh();
      }
    } catch (e) {
      failed(e);
    } finally {
      btn.disabled = false;
    }
  };
}

// previewBlock shows a field diff and the fire times that change.
function previewBlock(diff, fires) {
  return [
    diff && diff.length
      ? h('table', {class: 'grid diff'},
        h('thead', null, h('tr', null, ['Field', 'Old', 'New'].map((t) => h('th', null, t)))),
        h('tbody', null, diff.map((c) => h('tr', null, h('td', {class: 'mono'}, c.field), h('td', null, h('code', {class: 'wrap'}, c.old || '—')), h('td', null, h('code', {class: 'wrap'}, c.new || '—'))))))
      : h('p', {class: 'muted'}, 'No field changes.'),
    !fires || !fires.changed
      ? h('p', {class: 'muted small'}, 'The next fire times do not change.')
      : h('table', {class: 'grid fires'},
        h('thead', null, h('tr', null, h('th', null, 'Next fires before'), h('th', null, 'after'))),
        h('tbody', null, Array.from({length: Math.max(fires.before.length, fires.after.length)}, (_, i) =>
          h('tr', null, h('td', null, fmtTime(fires.before[i])), h('td', null, fmtTime(fires.after[i])))))),
  ];
}
