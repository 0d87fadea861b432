// The jobs page (/).
'use strict';

const STATE_FILTERS = [
  ['', 'any state'],
  ['Job', [['status:active', 'active'], ['status:disabled', 'disabled'], ['status:completed', 'completed']]],
  ['Last run', STATES.map((st) => ['state:' + st, st.replace('_', ' ')])],
];

function jobsPage(main) {
  const params = new URLSearchParams(location.search);
  const name = h('input', {id: 'f-name', type: 'search', placeholder: 'Filter by name', value: params.get('q') || '', 'aria-label': 'name'});
  const label = h('input', {id: 'f-label', type: 'search', placeholder: 'label key=value', value: params.get('label') || '', 'aria-label': 'label'});
  const state = h('select', {id: 'f-state', 'aria-label': 'state'}, STATE_FILTERS.map(([k, v]) => Array.isArray(v)
    ? h('optgroup', {label: k}, v.map(([val, text]) => h('option', {value: val}, text)))
    : h('option', {value: k}, v)));
  state.value = params.get('state') || '';
  const count = h('span', {class: 'muted count'});
  const body = h('tbody', {id: 'jobs'});
  // A page of jobs (the API pages by name): ?after=NAME starts after it,
  // ?limit=N sets the page's size.
  let after = params.get('after') || '';
  const limit = params.get('limit') || '';
  const pager = h('div', {class: 'pager', id: 'jobs-pager'});
  replace(main,
    h('div', {class: 'title-row'}, h('h1', null, 'Jobs'), count),
    h('div', {class: 'toolbar'}, name, label, state),
    h('div', {class: 'card flush'}, h('table', {class: 'grid jobs'},
      h('thead', null, h('tr', null, ['Name', 'Schedule', 'Time zone', 'Next fire', 'Last run', 'Last 50 runs'].map((t) => h('th', null, t)))),
      body)),
    pager);
  const pageURL = (from) => {
    const u = new URLSearchParams(location.search);
    if (from) u.set('after', from); else u.delete('after');
    return '?' + u;
  };

  const load = async () => {
    const q = new URLSearchParams();
    if (name.value.trim()) q.set('q', name.value.trim());
    if (label.value.trim()) q.append('label', label.value.trim());
    const [kind, val] = state.value.split(':');
    if (val) q.set(kind, val);
    const url = new URLSearchParams();
    if (name.value.trim()) url.set('q', name.value.trim());
    if (label.value.trim()) url.set('label', label.value.trim());
    if (state.value) url.set('state', state.value);
    const filters = url.toString();
    if (drawn.get('jobs-filters') !== undefined && drawn.get('jobs-filters') !== filters) after = ''; // new filters: the first page
    drawn.set('jobs-filters', filters);
    if (after) { q.set('after', after); url.set('after', after); }
    if (limit) { q.set('limit', limit); url.set('limit', limit); }
    history.replaceState(null, '', url.toString() ? '?' + url : location.pathname);
    let jobs, next;
    try {
      ({body: jobs, next} = await api('/api/v1/jobs?' + q, {page: true}));
    } catch (e) {
      if (e.status === 400) {
        drawn.delete('jobs');
        replace(body, h('tr', null, h('td', {colspan: 6, class: 'empty'}, e.message)));
        return;
      }
      throw e;
    }
    if (!changed('jobs', [jobs, next, after])) return;
    count.textContent = (jobs.length === 1 ? '1 job' : jobs.length + ' jobs') + (after || next ? ' on this page' : '');
    pager.dataset.after = after;
    replace(pager,
      after ? h('a', {id: 'jobs-first', href: pageURL('')}, '« First page') : null,
      next ? h('a', {id: 'jobs-next', href: pageURL(next)}, 'Next page »') : null);
    if (!jobs.length) {
      const filtered = q.toString() !== '';
      replace(body, h('tr', null, h('td', {colspan: 6, class: 'empty'}, filtered
        ? 'No job matches these filters.'
        : ['No jobs yet. Create one with ', h('code', null, 'jetcron job create hello --every 1m -- echo hello'), '.'])));
      return;
    }
    replace(body, jobs.map(jobRow));
  };
  const refresh = refresher(load, 400);
  for (const el of [name, label]) el.addEventListener('input', refresh);
  state.addEventListener('change', refresh);
  refresh();
  follow(null, () => refresh());
  setInterval(refresh, 10000); // health changes are not events
}

function jobRow(j) {
  const last = j.runs && j.runs.last;
  const sc = j.schedule || {};
  return h('tr', {dataset: {job: j.name, status: j.status, last: last ? last.state : ''}},
    h('td', null,
      h('a', {href: jobURL(j.name), class: 'job-name'}, j.name), ' ', statusBadges(j),
      j.description ? h('div', {class: 'muted small desc'}, j.description) : null,
      Object.keys(j.labels || {}).length ? h('div', {class: 'chips'}, labelChips(j.labels)) : null),
    h('td', null, h('div', null, j.schedule_text || scheduleWritten(sc)), h('code', {class: 'small'}, scheduleWritten(sc))),
    h('td', null, sc.tz || 'UTC'),
    h('td', null, j.status === 'disabled' ? h('span', {class: 'muted'}, 'paused')
      : j.next && j.next.length ? [when(j.next[0]), h('div', {class: 'muted small'}, fmtTime(j.next[0]))]
        : h('span', {class: 'muted'}, '—')),
    h('td', null, last ? [statePill(last.state, execURL(last.id)), h('div', {class: 'small'}, when(last.scheduled_at))] : h('span', {class: 'muted'}, 'never ran')),
    h('td', null, strip(j.runs)));
}
