// A service's history as a timeline (who, what, when) and time travel: the service as it was after any event,
// rebuilt by the Director from the event log (service(id, asOf:)), beside the service as it is now.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { Link } from '../router.js';
import { ErrorText, NotFound, StateBadge, isNotFound, useQuery, when } from '../ui.js';

const query = `query($id: ID!) {
  service(id: $id) { id name state nodeCounts { role count } nodes { id name state } application { id name } }
  history(entityId: $id, first: 500) { events { sequence type actor at } }
}`;
const pastQuery = 'query($id: ID!, $at: DateTime) { service(id: $id, asOf: $at) { id name state nodeCounts { role count } nodes { id name state } } }';

export function HistoryPage({ id }) {
  const current = useQuery(query, { id });
  const { data, error } = current;
  const [picked, setPicked] = useState(null);
  const events = data?.history.events ?? [];
  // Until the user moves it, the control follows the newest event.
  const index = picked ?? events.length - 1;
  const event = events[index];
  const past = useQuery(pastQuery, { id, at: event?.at ?? null });
  const service = data?.service;
  if (isNotFound(current)) return html`<${NotFound} what="service" />`;

  return html`<main>
    ${service && html`<nav aria-label="Breadcrumb" class="crumbs">
      <${Link} href="/">Applications</${Link}> › <${Link} href=${`/apps/${service.application.id}`}>${service.application.name}</${Link}> › <${Link} href=${`/services/${id}`}>${service.name}</${Link}>
    </nav>`}
    <h1>History${service ? ` of ${service.name}` : ''}</h1>
    <${ErrorText} error=${error?.message ?? past.error?.message} />
    ${events.length > 0 && html`
      <section class="panel" aria-labelledby="travel">
        <h2 id="travel">Time travel</h2>
        <label for="moment">Show the service as it was after event ${index + 1} of ${events.length}</label>
        <input id="moment" type="range" min="0" max=${events.length - 1} value=${index}
          aria-valuetext=${`${event.type} at ${when(event.at)}`}
          onInput=${(e) => setPicked(Number(e.currentTarget.value))} />
        <p class="moment"><strong>${event.type}</strong> by ${event.actor}, ${when(event.at)}</p>
        <div class="compare">
          <${Snapshot} title=${`Then (${when(event.at)})`} label="then" service=${past.data?.service} />
          <${Snapshot} title="Now" label="now" service=${service} />
        </div>
      </section>
      <h2>Timeline</h2>
      <ol class="timeline">${events.map((e, i) => html`<li key=${e.sequence} aria-current=${i === index ? 'step' : undefined}>
        <button type="button" class="link" onClick=${() => setPicked(i)}>${e.type}</button>
        <span class="muted"> by ${e.actor}, ${when(e.at)}</span>
      </li>`)}</ol>`}
  </main>`;
}

function Snapshot({ title, label, service }) {
  return html`<section class="snapshot" aria-label=${`Service ${label}`} data-snapshot=${label}>
    <h3>${title}</h3>
    ${service ? html`
      <p>State: <${StateBadge} state=${service.state} /></p>
      <p>Nodes wanted: ${service.nodeCounts.map((c) => `${c.role} ${c.count}`).join(', ') || 'none'}</p>
      <ul>${service.nodes.map((n) => html`<li key=${n.id}>${n.name} <${StateBadge} state=${n.state} /></li>`)}</ul>`
      : html`<p class="muted">Did not exist yet.</p>`}
  </section>`;
}
