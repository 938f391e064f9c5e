// Administration (administrators only; the route answers "Not found" to anyone else, and the Director refuses these
// queries to them anyway): users with their credit and a form to grant or take credit, the audit log with its
// filters, the clouds and their health. Live.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { ErrorText, Field, useAction, useQuery, when } from '../ui.js';

const usersQuery = 'query { users { id username email role credit creditRunsOutAt } clouds { name driver isDefault healthy problems } }';
const auditQuery = `query($filter: AuditFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) { events { sequence type at actor streamId } nextCursor }
}`;
const grant = 'mutation($username: String!, $amount: Int!, $reason: String!) { grantCredit(username: $username, amount: $amount, reason: $reason) { id credit } }';
const pageSize = 50;

function GrantForm({ user, done }) {
  const action = useAction();
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const target = event.currentTarget;
    action.run(async () => {
      await gql(grant, { username: user.username, amount: Number(form.get('amount')), reason: form.get('reason') });
      target.reset();
      done();
    });
  };
  const fields = ['amount', 'reason'];
  const id = (name) => `grant-${user.id}-${name}`;
  return html`<form class="inline-form" onSubmit=${submit} aria-label=${`Credit for ${user.username}`}>
    <${Field} label=${`Amount for ${user.username}`} name="amount" id=${id('amount')} type="number" required step="1"
      error=${action.error?.field('amount')} />
    <${Field} label=${`Reason for ${user.username}`} name="reason" id=${id('reason')} required
      error=${action.error?.field('reason')} />
    <button type="submit" disabled=${action.busy}>Grant</button>
    <${ErrorText} error=${action.error?.general(fields)} />
  </form>`;
}

function AuditLog() {
  const [filter, setFilter] = useState({});
  const [cursors, setCursors] = useState([null]);
  const { data, error } = useQuery(auditQuery, { filter, first: pageSize, after: cursors.at(-1) });
  const apply = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name) => form.get(name).trim() || undefined;
    const instant = (name) => (form.get(name) ? new Date(form.get(name)).toISOString() : undefined);
    setFilter({
      username: text('username'),
      applicationId: text('applicationId'),
      types: text('types')?.split(/[\s,]+/).filter(Boolean),
      from: instant('from'),
      to: instant('to'),
    });
    setCursors([null]);
  };
  const page = data?.auditLog;
  return html`<section aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <form class="inline-form" onSubmit=${apply} aria-label="Audit filters">
      <${Field} label="User" name="username" id="audit-username" />
      <${Field} label="Application id" name="applicationId" id="audit-application" />
      <${Field} label="Event types" name="types" id="audit-types" placeholder="ServiceAdded, CreditGranted" />
      <${Field} label="From" name="from" id="audit-from" type="datetime-local" />
      <${Field} label="To" name="to" id="audit-to" type="datetime-local" />
      <button type="submit">Filter</button>
    </form>
    <${ErrorText} error=${error?.message} />
    <div class="table-scroll"><table aria-label="Audit log">
      <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Stream</th></tr></thead>
      <tbody>${(page?.events ?? []).map((e) => html`<tr key=${e.sequence}>
        <td>${e.sequence}</td><td>${when(e.at)}</td><td>${e.type}</td><td>${e.actor}</td><td class="muted">${e.streamId}</td>
      </tr>`)}</tbody>
    </table></div>
    <div class="actions pager">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${!page?.nextCursor} onClick=${() => setCursors([...cursors, page.nextCursor])}>Next</button>
    </div>
  </section>`;
}

export function AdminPage() {
  const { data, error, reload } = useQuery(usersQuery);
  return html`<main>
    <h1>Administration</h1>
    <${ErrorText} error=${error?.message} />
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <div class="table-scroll"><table aria-label="Users">
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Credit</th><th scope="col">Grant or take credit</th></tr></thead>
        <tbody>${(data?.users ?? []).map((u) => html`<tr key=${u.id} data-user=${u.username}>
          <td>${u.username}<br /><span class="muted">${u.email}</span></td>
          <td>${u.role}</td>
          <td data-testid="user-credit">${u.credit}</td>
          <td><${GrantForm} user=${u} done=${reload} /></td>
        </tr>`)}</tbody>
      </table></div>
    </section>
    <section aria-labelledby="clouds-title">
      <h2 id="clouds-title">Clouds</h2>
      <div class="table-scroll"><table aria-label="Clouds">
        <thead><tr><th scope="col">Cloud</th><th scope="col">Driver</th><th scope="col">Health</th><th scope="col">Problems</th></tr></thead>
        <tbody>${(data?.clouds ?? []).map((c) => html`<tr key=${c.name}>
          <td>${c.name}${c.isDefault ? html` <span class="muted">(default)</span>` : ''}</td>
          <td>${c.driver}</td>
          <td><span class=${`badge ${c.healthy ? 'state-running' : 'state-error'}`}>${c.healthy ? 'healthy' : 'unhealthy'}</span></td>
          <td>${c.problems.length ? html`<ul>${c.problems.map((p) => html`<li>${p}</li>`)}</ul>` : '—'}</td>
        </tr>`)}</tbody>
      </table></div>
    </section>
    <${AuditLog} />
  </main>`;
}
