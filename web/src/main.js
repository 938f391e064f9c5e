// The dashboard's shell: header (user, live credit), the page for the current path, footer (Director version).
import './style.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { effect } from '@preact/signals';
import { loadMe, me, signOut, startLive, version } from './api.js';
import { Link, match, path } from './router.js';
import { fromNow, useQuery } from './ui.js';
import { AuthPage } from './pages/auth.js';
import { AppsPage } from './pages/apps.js';
import { ApplicationPage } from './pages/application.js';
import { ServicePage } from './pages/service.js';
import { HistoryPage } from './pages/history.js';
import { ResourcesPage } from './pages/resources.js';
import { CreditsPage } from './pages/credits.js';
import { AdminPage } from './pages/admin.js';
import { CertificatesPage } from './pages/certificates.js';

const routes = [
  ['/', () => html`<${AppsPage} />`],
  ['/apps/:id', ({ id }) => html`<${ApplicationPage} key=${id} id=${id} />`],
  ['/apps/:id/history', ({ id }) => html`<${HistoryPage} key=${id} id=${id} kind="application" />`],
  ['/services/:id', ({ id }) => html`<${ServicePage} key=${id} id=${id} />`],
  ['/services/:id/history', ({ id }) => html`<${HistoryPage} key=${id} id=${id} />`],
  ['/resources', () => html`<${ResourcesPage} />`],
  ['/credits', () => html`<${CreditsPage} />`],
  ['/certificates', () => html`<${CertificatesPage} />`],
  // Only administrators have this route: for anyone else the address is "Not found", like any unknown one.
  ['/admin', () => html`<${AdminPage} />`, { admin: true }],
];

function Page() {
  for (const [pattern, page, { admin } = {}] of routes) {
    if (admin && me.value.role !== 'ADMIN') continue;
    const params = match(pattern, path.value);
    if (params) return page(params);
  }
  return html`<main><h1>Not found</h1><${Link} href="/">Applications</${Link}></main>`;
}

function Header() {
  // The credit follows the live feed like every page does.
  const { data } = useQuery('query { me { username credit creditRunsOutAt } }');
  const user = data?.me ?? me.value;
  return html`<header class="top">
    <${Link} href="/" class="brand">ConPaaS</${Link}>
    <nav aria-label="Main" class="main-nav">
      <${Link} href="/">Applications</${Link}>
      <${Link} href="/resources">Resources</${Link}>
      <${Link} href="/credits">Credits</${Link}>
      <${Link} href="/certificates">Certificates</${Link}>
      ${me.value.role === 'ADMIN' && html`<${Link} href="/admin">Administration</${Link}>`}
      <a href="/graphiql">GraphiQL</a>
    </nav>
    <div class="who">
      <span data-testid="username">${user.username}</span>
      <span data-testid="credit" aria-live="polite">${user.credit} credits${user.creditRunsOutAt ? ` · runs out ${fromNow(user.creditRunsOutAt)}` : ''}</span>
      <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
    </div>
  </header>`;
}

function App() {
  useEffect(() => { loadMe(); }, []);
  useEffect(() => effect(() => { if (me.value) startLive(); }), []);
  if (me.value === undefined) return html`<main><p>Loading…</p></main>`;
  return html`
    ${me.value ? html`<${Header} /><${Page} />` : html`<${AuthPage} />`}
    <footer>ConPaaS Director ${version.value}</footer>`;
}

render(html`<${App} />`, document.getElementById('app'));
