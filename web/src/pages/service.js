// One service: start (on a chosen cloud), stop, remove; nodes by role; scale each role out and in. Live.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql } from '../api.js';
import { Link, navigate } from '../router.js';
import { ErrorText, Field, NotFound, StateBadge, isNotFound, useAction, useQuery } from '../ui.js';

export const serviceFields = `id sid name type state stateReason cloud subnet version
  application { id name }
  nodeCounts { role count }
  nodes { id name role serviceRole state stateReason address vpnAddress cloud }`;

const query = `query($id: ID!) {
  service(id: $id) { ${serviceFields} }
  clouds { name isDefault healthy problems }
  serviceTypes { name roles { name isDefault } }
}`;

export function ServicePage({ id }) {
  const result = useQuery(query, { id });
  const { data, error, reload } = result;
  const service = data?.service;
  if (isNotFound(result)) return html`<${NotFound} what="service" />`;
  if (!service) return html`<main><${ErrorText} error=${error?.message} /></main>`;
  const roles = data.serviceTypes.find((t) => t.name === service.type)?.roles ?? [];
  return html`<main>
    <nav aria-label="Breadcrumb" class="crumbs">
      <${Link} href="/">Applications</${Link}> › <${Link} href=${`/apps/${service.application.id}`}>${service.application.name}</${Link}>
    </nav>
    <${ErrorText} error=${error?.message} />
    <h1>${service.name} <${StateBadge} state=${service.state} /></h1>
    <${Rename} service=${service} onChanged=${reload} />
    <p class="muted">${service.type} · service ${service.sid}${service.cloud ? ` · cloud ${service.cloud}` : ''}${service.subnet ? ` · subnet ${service.subnet}` : ''}</p>
    ${service.stateReason && html`<p class="notice" role="status">${service.stateReason}</p>`}
    <p><${Link} href=${`/services/${service.id}/history`}>History and time travel</${Link}></p>
    <${Lifecycle} service=${service} clouds=${data.clouds} onChanged=${reload} />
    <h2>Nodes</h2>
    <${Nodes} service=${service} />
    ${['RUNNING', 'ADAPTING'].includes(service.state) && html`<${Scaling} service=${service} roles=${roles} onChanged=${reload} />`}
  </main>`;
}

function Rename({ service, onChanged }) {
  const [name, setName] = useState(null);
  const { busy, error, run } = useAction();
  if (name === null) return html`<button type="button" class="link" onClick=${() => setName(service.name)}>Rename</button>`;
  const submit = (event) => {
    event.preventDefault();
    run(async () => {
      // No expectedVersion: every node event moves the service's version, and a name does not depend on them.
      await gql('mutation($id: ID!, $name: String!) { renameService(id: $id, name: $name) { id } }', { id: service.id, name });
      setName(null);
      onChanged();
    });
  };
  return html`<form class="inline-form" onSubmit=${submit} novalidate>
    <${Field} name="name" label="New name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} error=${error?.field('name')} />
    <button type="submit" disabled=${busy}>Save</button>
    <button type="button" class="secondary" onClick=${() => setName(null)}>Cancel</button>
    <${ErrorText} error=${error?.general(['name'])} />
  </form>`;
}

function Lifecycle({ service, clouds, onChanged }) {
  const usable = clouds.filter((c) => c.healthy);
  const [cloud, setCloud] = useState((usable.find((c) => c.isDefault) ?? usable[0])?.name);
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const mutate = (mutation, variables) => run(async () => { await gql(mutation, variables); onChanged(); });
  const canStart = ['INIT', 'STOPPED'].includes(service.state);
  const canStop = ['RUNNING', 'ADAPTING', 'PROLOGUE', 'ERROR'].includes(service.state);

  return html`<section class="panel" aria-label="Lifecycle">
    ${canStart && html`<form class="inline-form" onSubmit=${(e) => { e.preventDefault(); mutate('mutation($id: ID!, $c: String) { startService(id: $id, cloud: $c) { id } }', { id: service.id, c: cloud }); }}>
      ${clouds.length > 1 && html`<div class="field">
        <label for="cloud">Cloud</label>
        <select id="cloud" value=${cloud} onChange=${(e) => setCloud(e.currentTarget.value)}>
          ${clouds.map((c) => html`<option key=${c.name} value=${c.name} disabled=${!c.healthy}>
            ${c.name}${c.healthy ? '' : ` (unavailable: ${c.problems.join('; ')})`}</option>`)}
        </select>
      </div>`}
      <button type="submit" disabled=${busy || !cloud}>Start</button>
    </form>`}
    ${canStop && html`<button type="button" disabled=${busy} onClick=${() => mutate('mutation($id: ID!) { stopService(id: $id) { id } }', { id: service.id })}>Stop</button>`}
    ${canStart && (confirming
      ? html`<div class="confirm" role="group" aria-label="Confirm removal">
          <p>Remove ${service.name} for good?</p>
          <button type="button" class="danger" disabled=${busy} onClick=${() => run(async () => {
            await gql('mutation($id: ID!) { removeService(id: $id) }', { id: service.id });
            navigate(`/apps/${service.application.id}`);
          })}>Yes, remove</button>
          <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Cancel</button>
        </div>`
      : html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>Remove</button>`)}
    <${ErrorText} error=${error?.message} />
  </section>`;
}

function Nodes({ service }) {
  if (service.nodes.length === 0) return html`<p>No node: the service is not running.</p>`;
  const groups = Map.groupBy(service.nodes, (n) => n.role === 'MANAGER' ? 'manager' : n.serviceRole ?? 'agent');
  return [...groups].map(([role, nodes]) => html`<section key=${role} aria-label=${`Role ${role}`}>
    <h3>${role} <span class="muted">(${nodes.length})</span></h3>
    <div class="table-scroll"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Address</th><th scope="col">VPN address</th><th scope="col">Cloud</th></tr></thead>
      <tbody>${nodes.map((n) => html`<tr key=${n.id} data-vm=${n.name}>
        <td>${n.name}${n.stateReason && html`<div class="muted">${n.stateReason}</div>`}</td>
        <td><${StateBadge} state=${n.state} /></td>
        <td>${n.address ?? '—'}</td>
        <td>${n.vpnAddress ?? '—'}</td>
        <td>${n.cloud}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`);
}

function Scaling({ service, roles, onChanged }) {
  const [counts, setCounts] = useState({});
  const { busy, error, run } = useAction();
  const change = (mutation, role) => run(async () => {
    await gql(`mutation($s: ID!, $n: [NodeCountInput!]!) { ${mutation}(serviceId: $s, nodes: $n) { id } }`,
      { s: service.id, n: [{ role, count: Number(counts[role] ?? 1) }] });
    onChanged();
  });
  return html`<section class="panel" aria-labelledby="scale">
    <h2 id="scale">Scale</h2>
    ${roles.map((r) => {
      const current = service.nodeCounts.find((c) => c.role === r.name)?.count ?? 0;
      return html`<div class="inline-form" key=${r.name}>
        <div class="field">
          <label for=${`count-${r.name}`}>${r.name} nodes to add or remove (now ${current})</label>
          <input id=${`count-${r.name}`} type="number" min="1" value=${counts[r.name] ?? 1}
            onInput=${(e) => setCounts({ ...counts, [r.name]: e.currentTarget.value })} />
        </div>
        <button type="button" disabled=${busy} onClick=${() => change('addNodes', r.name)}>Add ${r.name}</button>
        <button type="button" class="secondary" disabled=${busy || current === 0} onClick=${() => change('removeNodes', r.name)}>Remove ${r.name}</button>
      </div>`;
    })}
    <${ErrorText} error=${error?.message} />
  </section>`;
}
