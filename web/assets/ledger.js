// The job page's slot ledger (/api/v1/jobs/NAME/audit, as `jetcron job
// audit` prints it): one cell per slot the schedule expected, its colour
// what became of the slot, its lower part how the run ended when it failed,
// was cancelled or has not ended yet.
'use strict';

const FIRED = ['on_time', 'late', 'caught_up', 'delayed', 'skipped', 'missed', 'paused', 'pruned', 'due', 'unaccounted'];
const LEDGER_SLOTS = 120;     // cells shown: about this many slots
const LEDGER_MIN_WAIT = 5000; // ms between two reads of the ledger

// ledgerWindow returns how far back to read for about LEDGER_SLOTS slots of
// job view v: the schedule's interval from its next fire times, bounded
// between ten minutes and the ledger's default week.
function ledgerWindow(v) {
  const next = (v && v.next) || [];
  let every = 60000;
  if (next.length > 1) every = Math.max(1000, new Date(next[1]) - new Date(next[0]));
  const ms = Math.min(7 * 86400000, Math.max(600000, every * LEDGER_SLOTS));
  return Math.ceil(ms / 1000) + 's';
}

// ledgerCard returns the card and a function that redraws it for job view
// v, reading the ledger at most every LEDGER_MIN_WAIT.
function ledgerCard(name) {
  const card = h('div', {class: 'card', id: 'ledger'}, h('h2', null, 'Slots'), h('p', {class: 'muted'}, 'Loading…'));
  let last = 0;
  const draw = async (v) => {
    if (!v || Date.now() - last < LEDGER_MIN_WAIT) return;
    last = Date.now();
    const since = ledgerWindow(v);
    let l;
    try {
      l = await api(`/api/v1/jobs/${encodeURIComponent(name)}/audit?since=${since}`);
    } catch (e) {
      replace(card, h('h2', null, 'Slots'), h('p', {class: 'problem'}, 'The ledger could not be read: ', e.message || String(e)));
      return;
    }
    if (changed('ledger', l.rows)) drawLedger(card, l);
  };
  return [card, draw];
}

function drawLedger(card, l) {
  const rows = (l.rows || []).slice(-LEDGER_SLOTS);
  const head = h('h2', null, 'Slots ', h('span', {class: 'muted small'},
    `${l.slots} expected since ${fmtTime(l.since)} · colour = what became of the slot · lower part = how its run ended, when not a success · grace ${l.grace}`));
  if (!rows.length) {
    replace(card, head, h('p', {class: 'muted'}, 'No slot was due in this window.'));
    return;
  }
  const cells = rows.map((r) => {
    const late = r.lateness_ms === undefined ? '' : ` · ${fmtDur(r.lateness_ms)} late`;
    const title = `${fmtTime(r.slot)} · ${r.fired.replace('_', ' ')}${r.result ? ' · ' + r.result.replace('_', ' ') : ''}${late}` +
      (r.revision ? ` · rev ${r.revision}` : '') + (r.reason ? `\n${r.reason}` : '') + `\n${r.execution_id}`;
    const attrs = {class: `cell f-${FIRED.includes(r.fired) ? r.fired : 'unaccounted'}` + (r.result ? ' r-' + r.result : ''), title, dataset: {slot: r.slot, fired: r.fired}};
    return r.fired === 'paused' || r.fired === 'unaccounted' || r.fired === 'due' || r.fired === 'missed' || r.fired === 'pruned'
      ? h('span', attrs) : h('a', Object.assign({href: execURL(r.execution_id)}, attrs));
  });
  const counts = Object.entries(l.fired || {}).sort((a, b) => FIRED.indexOf(a[0]) - FIRED.indexOf(b[0]))
    .map(([k, n]) => h('span', null, h('i', {class: 'swatch cell f-' + k}), `${n} ${k.replace('_', ' ')}`));
  const bad = (l.fired || {}).unaccounted;
  replace(card, head,
    bad ? h('p', {class: 'problem', id: 'unaccounted'}, `${bad} slot${bad > 1 ? 's' : ''} unaccounted for: neither fired nor recorded within the grace.`) : null,
    h('div', {class: 'cells', role: 'list', 'aria-label': 'slots, oldest first'}, cells),
    h('div', {class: 'legend'}, counts),
    (l.notes || []).map((n) => h('p', {class: 'muted small'}, n)));
}
