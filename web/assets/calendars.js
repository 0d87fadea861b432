// The calendars page (/calendars): exclusion calendars that jobs name in
// skip_calendars; create one from dates, windows or an .ics file.
'use strict';

function calendarsPage(main) {
  const body = h('tbody', {id: 'calendars'});
  const name = h('input', {id: 'c-name', placeholder: 'holidays-de', required: true, 'aria-label': 'name'});
  const tz = h('input', {id: 'c-tz', placeholder: 'Europe/Berlin (default UTC)', 'aria-label': 'time zone'});
  const dates = h('input', {id: 'c-dates', placeholder: '2026-12-24, 2026-12-25', 'aria-label': 'dates'});
  const windows = h('textarea', {id: 'c-windows', rows: 2, placeholder: 'one window a line: 2026-12-05T22:00:00+01:00/2026-12-06T02:00:00+01:00', 'aria-label': 'windows'});
  const ics = h('input', {id: 'c-ics', type: 'file', accept: '.ics,text/calendar', 'aria-label': 'ICS file'});
  const update = h('input', {id: 'c-update', type: 'checkbox'});
  const form = h('form', {class: 'card', id: 'calendar-form'},
    h('h2', null, 'New calendar'),
    h('p', null, h('label', null, 'Name ', name), ' ', h('label', null, 'Time zone ', tz)),
    h('p', null, h('label', null, 'Dates ', dates)),
    h('p', null, h('label', null, 'Maintenance windows (RFC 3339 START/END)', h('br'), windows)),
    h('p', null, h('label', null, 'ICS file ', ics), ' ', h('label', null, update, ' replace if it exists')),
    h('p', null, h('button', {type: 'submit'}, 'Save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const cal = {name: name.value.trim(), tz: tz.value.trim() || undefined,
        dates: dates.value.split(',').map((d) => d.trim()).filter(Boolean)};
      cal.windows = windows.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const [start, end] = l.split('/');
        return {start: (start || '').trim(), end: (end || '').trim()};
      });
      if (ics.files.length) cal.ics = await ics.files[0].text();
      const res = await api('/api/v1/calendars' + (update.checked ? '?update=true' : ''), {method: 'POST', body: cal});
      toast(`calendar ${res.calendar.name} ${res.result}`);
      form.reset();
      refresh();
    } catch (err) { failed(err); }
  });
  replace(main,
    h('div', {class: 'title-row'}, h('h1', null, 'Calendars')),
    h('p', {class: 'muted'}, 'A job that names a calendar (', h('code', null, '--skip-calendar NAME'),
      ') does not run a slot the calendar excludes; the slot is recorded as skipped with the calendar in the reason.'),
    h('div', {class: 'card flush'}, h('table', {class: 'grid'},
      h('thead', null, h('tr', null, ['Calendar', 'Time zone', 'Excludes', 'Used by', ''].map((t) => h('th', null, t)))),
      body)),
    form);
  const load = async () => {
    const cs = await api('/api/v1/calendars');
    if (!changed('calendars', cs)) return;
    replace(body, cs.length ? cs.map((c) => h('tr', {dataset: {calendar: c.name}},
      h('td', {class: 'mono'}, c.name, c.description ? h('div', {class: 'muted small'}, c.description) : null),
      h('td', null, c.tz || 'UTC'),
      h('td', null, calendarDetails(c)),
      h('td', null, (c.used_by || []).length ? h('div', {class: 'chips'}, c.used_by.map((j) => h('a', {class: 'chip', href: jobURL(j)}, j)))
        : h('span', {class: 'muted'}, 'no job')),
      h('td', null, h('button', {class: 'link danger', dataset: {delete: c.name}, onclick: () => removeCalendar(c.name)}, 'Delete'))))
      : h('tr', null, h('td', {colspan: 5, class: 'empty'}, ['No calendar yet. Create one below or with ', h('code', null, 'jetcron calendar create'), '.'])));
  };
  const removeCalendar = async (n) => {
    if (!confirm(`Delete calendar ${n}?`)) return;
    try {
      await api('/api/v1/calendars/' + encodeURIComponent(n), {method: 'DELETE'});
      toast(`calendar ${n} deleted`);
      refresh();
    } catch (err) { failed(err); }
  };
  const refresh = refresher(load, 250);
  refresh();
}

function calendarDetails(c) {
  const items = [];
  for (const d of c.dates || []) items.push(d);
  for (const d of c.annual || []) items.push('every ' + d);
  for (const w of c.windows || []) items.push(fmtTime(w.start) + ' → ' + fmtTime(w.end) + (w.yearly ? ' (yearly)' : '') + (w.summary ? ' ' + w.summary : ''));
  const shown = items.slice(0, 6);
  return h('div', null, h('div', null, c.summary_text || ''),
    h('ul', {class: 'plain small muted'}, shown.map((t) => h('li', null, t)),
      items.length > shown.length ? h('li', null, `… ${items.length - shown.length} more`) : null));
}

// skippedSlots lists, on a job's page, the next slots its calendars skip.
function skippedSlots(v) {
  if (!(v.skip_calendars || []).length) return null;
  return h('div', null,
    h('p', {class: 'muted small'}, 'Skips the calendars ',
      v.skip_calendars.map((c, i) => [i ? ', ' : '', h('a', {href: '/calendars'}, c)])),
    (v.next_skipped || []).length ? h('ul', {class: 'plain small', id: 'skipped'}, v.next_skipped.map((s) =>
      h('li', null, h('s', null, fmtTime(s.at)), ' ', h('span', {class: 'muted'}, s.skipped)))) : null);
}
