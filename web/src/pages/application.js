// One application: its services with state and node counts, its VPN network, and adding a service.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { Link } from '../router.js';
import { ErrorText, Field, NotFound, StateBadge, isNotFound, useAction, useQuery } from '../ui.js';

const query = `query($id: ID!) {
  application(id: $id) { id name network services { id sid name type state nodeCounts { role count } } }
  serviceTypes { name description }
}`;

export function ApplicationPage({ id }) {
  const result = useQuery(query, { id });
  const { data, error, reload } = result;
  const app = data?.application;
  if (isNotFound(result)) return html`<${NotFound} what="application" />`;
  return html`<main>
    <nav aria-label="Breadcrumb" class="crumbs"><${Link} href="/">Applications</${Link}></nav>
    <${ErrorText} error=${error?.message} />
    ${app && html`
      <h1>${app.name}</h1>
      <p class="muted">VPN network: ${app.network ?? 'none (no VPN configured)'}</p>
      <p><${Link} href=${`/apps/${app.id}/history`}>History and time travel</${Link}></p>
      <h2>Services</h2>
      ${app.services.length === 0 ? html`<p>No service yet.</p>` : html`<table>
        <thead><tr><th scope="col">Service</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Nodes</th></tr></thead>
        <tbody>${app.services.map((s) => html`<tr key=${s.id}>
          <td><${Link} href=${`/services/${s.id}`}>${s.name}</${Link}></td>
          <td>${s.type}</td>
          <td><${StateBadge} state=${s.state} /></td>
          <td>${s.nodeCounts.map((c) => `${c.role}: ${c.count}`).join(', ')}</td>
        </tr>`)}</tbody>
      </table>`}
      <${AddService} appId=${app.id} types=${data.serviceTypes} onAdded=${reload} />`}
  </main>`;
}

function AddService({ appId, types, onAdded }) {
  const [type, setType] = useState(types[0]?.name);
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const submit = (event) => {
    event.preventDefault();
    run(async () => {
      await gql('mutation($a: ID!, $t: String!, $n: String) { addService(applicationId: $a, type: $t, name: $n) { id } }',
        { a: appId, t: type, n: name || null });
      setName('');
      onAdded();
    });
  };
  return html`<form onSubmit=${submit} class="panel" aria-labelledby="add-service" novalidate>
    <h2 id="add-service">Add a service</h2>
    <fieldset>
      <legend>Type</legend>
      <div class="types">${types.map((t) => html`<label key=${t.name} class="type">
        <input type="radio" name="type" value=${t.name} checked=${type === t.name} onChange=${() => setType(t.name)} />
        <span><strong>${t.name}</strong> <span class="muted">${t.description}</span></span>
      </label>`)}</div>
    </fieldset>
    <${Field} name="name" label="Name (optional)" value=${name} onInput=${(e) => setName(e.currentTarget.value)} error=${error?.field('name')} />
    <${ErrorText} error=${error?.general(['name'])} />
    <button type="submit" disabled=${busy || !type}>Add service</button>
  </form>`;
}
