// jetcron web UI: picks the page the server named in <body data-page>.
'use strict';

function notFound(main, path) {
  document.title = 'Not found · jetcron';
  replace(main, h('div', {class: 'card'}, h('h1', null, 'Not found'),
    h('p', null, 'Nothing lives at ', h('code', null, path), '. ', h('a', {href: '/'}, 'See the jobs.'))));
}

document.addEventListener('DOMContentLoaded', () => {
  const main = $('#main');
  const {page, arg} = document.body.dataset;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === page || (page === 'job' && a.dataset.nav === 'jobs')) a.classList.add('current');
  }
  switch (page) {
    case 'jobs': return jobsPage(main);
    case 'job': return jobPage(main, arg);
    case 'execution': return executionPage(main, arg);
    case 'workers': return workersPage(main);
    case 'calendars': return calendarsPage(main);
    default: return notFound(main, arg || location.pathname);
  }
});
