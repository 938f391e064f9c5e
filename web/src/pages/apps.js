// The user's applications, live: create, rename inline, delete after a confirmation.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { Link } from '../router.js';
import { ErrorText, Field, StateBadge, useAction, useQuery } from '../ui.js';
import { DeployFromManifest } from './manifest.js';

const query = 'query { applications { id name version network services { id name type state } } }';

export function AppsPage() {
  const { data, error, reload } = useQuery(query);
  return html`<main>
    <h1>Applications</h1>
    <${CreateApplication} onCreated=${reload} />
    <${ErrorText} error=${error?.message} />
    ${data && (data.applications.length === 0
      ? html`<p>No application yet: create one above.</p>`
      : html`<ul class="cards" aria-label="Applications">
          ${data.applications.map((a) => html`<${ApplicationCard} key=${a.id} app=${a} onChanged=${reload} />`)}
        </ul>`)}
    <${DeployFromManifest} onApplied=${reload} />
  </main>`;
}

function CreateApplication({ onCreated }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const submit = (event) => {
    event.preventDefault();
    run(async () => {
      await gql('mutation($name: String!) { createApplication(name: $name) { id } }', { name });
      setName('');
      onCreated();
    });
  };
  return html`<form class="inline-form" onSubmit=${submit} novalidate>
    <${Field} name="name" label="New application" value=${name} placeholder="e.g. shop"
      onInput=${(e) => setName(e.currentTarget.value)} error=${error?.field('name')} />
    <button type="submit" disabled=${busy}>Create</button>
    <${ErrorText} error=${error?.general(['name'])} />
  </form>`;
}

function ApplicationCard({ app, onChanged }) {
  const [mode, setMode] = useState('view');
  const [name, setName] = useState(app.name);
  const { busy, error, run } = useAction();
  const rename = (event) => {
    event.preventDefault();
    run(async () => {
      await gql('mutation($id: ID!, $name: String!, $v: Int) { renameApplication(id: $id, name: $name, expectedVersion: $v) { id } }',
        { id: app.id, name, v: app.version });
      setMode('view');
      onChanged();
    });
  };
  const remove = () => run(async () => {
    await gql('mutation($id: ID!) { deleteApplication(id: $id) }', { id: app.id });
    onChanged();
  });

  return html`<li class="card">
    ${mode === 'rename'
      ? html`<form class="inline-form" onSubmit=${rename} novalidate>
          <${Field} name="name" id=${`rename-${app.id}`} label=${`New name for ${app.name}`} value=${name} onInput=${(e) => setName(e.currentTarget.value)}
            error=${error?.field('name')} autofocus />
          <button type="submit" disabled=${busy}>Save</button>
          <button type="button" class="secondary" onClick=${() => { setMode('view'); setName(app.name); }}>Cancel</button>
        </form>`
      : html`<h2><${Link} href=${`/apps/${app.id}`}>${app.name}</${Link}></h2>`}
    ${app.services.length === 0
      ? html`<p class="muted">No service</p>`
      : html`<ul class="services">${app.services.map((s) => html`<li key=${s.id}>
          <${Link} href=${`/services/${s.id}`}>${s.name}</${Link}> <span class="muted">${s.type}</span> <${StateBadge} state=${s.state} />
        </li>`)}</ul>`}
    ${mode === 'view' && html`<div class="actions">
      <button type="button" class="secondary" onClick=${() => setMode('rename')}>Rename</button>
      <button type="button" class="danger" onClick=${() => setMode('delete')}>Delete</button>
    </div>`}
    ${mode === 'delete' && html`<div class="confirm" role="group" aria-label="Confirm deletion">
      <p>Delete ${app.name} and stop all its services?</p>
      <button type="button" class="danger" disabled=${busy} onClick=${remove}>Yes, delete</button>
      <button type="button" class="secondary" onClick=${() => setMode('view')}>Cancel</button>
    </div>`}
    <${ErrorText} error=${error?.general(['name'])} />
  </li>`;
}
