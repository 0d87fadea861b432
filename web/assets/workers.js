// The workers page (/workers), from the presence bucket.
'use strict';

function workersPage(main) {
  const count = h('span', {class: 'muted count'});
  const body = h('tbody', {id: 'workers'});
  replace(main,
    h('div', {class: 'title-row'}, h('h1', null, 'Workers'), count),
    h('div', {class: 'card flush'}, h('table', {class: 'grid'},
      h('thead', null, h('tr', null, ['Worker', 'Host', 'Queues', 'Slots', 'Running', 'Heartbeat', 'Up since'].map((t) => h('th', null, t)))),
      body)));
  const load = async () => {
    const ws = await api('/api/v1/workers');
    if (!changed('workers', ws)) return;
    count.textContent = ws.length === 1 ? '1 worker' : ws.length + ' workers';
    replace(body, ws.length ? ws.map((w) => h('tr', {dataset: {worker: w.id}},
      h('td', {class: 'mono'}, w.id),
      h('td', null, w.host, h('span', {class: 'muted small'}, ' pid ' + w.pid)),
      h('td', null, h('div', {class: 'chips'}, (w.queues || []).map((q) => h('span', {class: 'chip'}, q)))),
      h('td', null, h('span', {class: 'slots', title: `${w.busy} of ${w.slots} busy`},
        h('span', {class: 'slots-fill', dataset: {fill: w.slots ? Math.round(100 * w.busy / w.slots) : 0}})), ` ${w.busy}/${w.slots}`),
      h('td', null, (w.running || []).length ? h('ul', {class: 'plain'}, w.running.map((r) => h('li', null,
        h('a', {href: execURL(r.id), class: 'mono small'}, r.id), ' ', h('span', {class: 'muted small'}, 'attempt ' + r.attempt + ', ', when(r.started_at)))))
        : h('span', {class: 'muted'}, 'idle')),
      h('td', null, when(w.heartbeat_at)),
      h('td', null, when(w.started_at))))
      : h('tr', null, h('td', {colspan: 7, class: 'empty'}, ['No worker is alive. Start one with ', h('code', null, 'jetcron worker'), '.'])));
    for (const el of body.querySelectorAll('.slots-fill')) el.style.width = el.dataset.fill + '%';
  };
  const caps = h('p', {class: 'muted small', id: 'queue-caps'});
  main.append(caps);
  const loadCaps = async () => {
    const qs = await api('/api/v1/queues');
    replace(caps, qs.length ? ['Queue caps (', h('code', null, 'jetcron queue set Q --max-running N'), '): ',
      qs.map((q, i) => [i ? ', ' : '', h('span', {class: 'chip'}, q.queue), ` at most ${q.max_running} running`])] : []);
  };
  const refresh = refresher(async () => { await load(); await loadCaps(); }, 500);
  refresh();
  setInterval(refresh, 3000); // heartbeats are not events
  follow(null, () => refresh());
}
