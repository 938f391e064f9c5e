// A service's or an application's history as a timeline (who, what, when) and time travel: the object as it was
// after any event, rebuilt by the Director from the event log (service/application(id, asOf:)), beside it now.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { Link } from '../router.js';
import { ErrorText, NotFound, StateBadge, isNotFound, useQuery, when } from '../ui.js';

const serviceFields = 'id name state nodeCounts { role count } nodes { id name state }';
const applicationFields = 'id name services { id name state }';
const kinds = {
  service: {
    query: `query($id: ID!) {
      service(id: $id) { ${serviceFields} application { id name } }
      history(entityId: $id, first: 500) { events { sequence type actor at } }
    }`,
    pastQuery: `query($id: ID!, $at: DateTime) { service(id: $id, asOf: $at) { ${serviceFields} } }`,
    crumbs: (service, id) => [['/', 'Applications'], [`/apps/${service.application.id}`, service.application.name], [`/services/${id}`, service.name]],
    Contents: ({ of: service }) => html`
      <p>State: <${StateBadge} state=${service.state} /></p>
      <p>Nodes wanted: ${service.nodeCounts.map((c) => `${c.role} ${c.count}`).join(', ') || 'none'}</p>
      <ul>${service.nodes.map((n) => html`<li key=${n.id}>${n.name} <${StateBadge} state=${n.state} /></li>`)}</ul>`,
  },
  application: {
    query: `query($id: ID!) {
      application(id: $id) { ${applicationFields} }
      history(entityId: $id, first: 500) { events { sequence type actor at } }
    }`,
    pastQuery: `query($id: ID!, $at: DateTime) { application(id: $id, asOf: $at) { ${applicationFields} } }`,
    crumbs: (app, id) => [['/', 'Applications'], [`/apps/${id}`, app.name]],
    Contents: ({ of: app }) => html`
      <p>Name: ${app.name}</p>
      ${app.services.length === 0 ? html`<p>No service.</p>`
        : html`<ul>${app.services.map((s) => html`<li key=${s.id}>${s.name} <${StateBadge} state=${s.state} /></li>`)}</ul>`}`,
  },
};

export function HistoryPage({ id, kind = 'service' }) {
  const { query, pastQuery, crumbs, Contents } = kinds[kind];
  const current = useQuery(query, { id });
  const { data, error } = current;
  const [picked, setPicked] = useState(null);
  const events = data?.history.events ?? [];
  // Until the user moves it, the control follows the newest event.
  const index = picked ?? events.length - 1;
  const event = events[index];
  const past = useQuery(pastQuery, { id, at: event?.at ?? null });
  const object = data?.[kind];
  if (isNotFound(current)) return html`<${NotFound} what=${kind} />`;

  return html`<main>
    ${object && html`<nav aria-label="Breadcrumb" class="crumbs">
      ${crumbs(object, id).map(([href, name], i) => html`${i > 0 && ' › '}<${Link} href=${href}>${name}</${Link}>`)}
    </nav>`}
    <h1>History${object ? ` of ${object.name}` : ''}</h1>
    <${ErrorText} error=${error?.message ?? past.error?.message} />
    ${events.length > 0 && html`
      <section class="panel" aria-labelledby="travel">
        <h2 id="travel">Time travel</h2>
        <label for="moment">Show the ${kind} as it was after event ${index + 1} of ${events.length}</label>
        <input id="moment" type="range" min="0" max=${events.length - 1} value=${index}
          aria-valuetext=${`${event.type} at ${when(event.at)}`}
          onInput=${(e) => setPicked(Number(e.currentTarget.value))} />
        <p class="moment"><strong>${event.type}</strong> by ${event.actor}, ${when(event.at)}</p>
        <div class="compare">
          <${Snapshot} title=${`Then (${when(event.at)})`} label=${`${kind} then`} snapshot="then" of=${past.data?.[kind]} Contents=${Contents} />
          <${Snapshot} title="Now" label=${`${kind} now`} snapshot="now" of=${object} Contents=${Contents} />
        </div>
      </section>
      <h2>Timeline</h2>
      <ol class="timeline">${events.map((e, i) => html`<li key=${e.sequence} aria-current=${i === index ? 'step' : undefined}>
        <button type="button" class="link" onClick=${() => setPicked(i)}>${e.type}</button>
        <span class="muted"> by ${e.actor}, ${when(e.at)}</span>
      </li>`)}</ol>`}
  </main>`;
}

function Snapshot({ title, label, snapshot, of, Contents }) {
  return html`<section class="snapshot" aria-label=${label} data-snapshot=${snapshot}>
    <h3>${title}</h3>
    ${of ? html`<${Contents} of=${of} />` : html`<p class="muted">Did not exist yet.</p>`}
  </section>`;
}
