// The dashboard's only ways to the Director: GraphQL over HTTP and graphql-ws, both signed in by the HttpOnly
// session cookie (never readable here). Every cookie-authenticated POST carries the CSRF header the Director asks for.
import { createClient } from 'graphql-ws';
import { signal } from '@preact/signals';

const csrf = { 'X-Conpaas-Csrf': '1' };

/** A refusal from the Director: its GraphQL errors, each with extensions.code and, for bad input, extensions.field. */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }
  get code() { return this.errors[0]?.extensions?.code; }
  /** The message for one input field, if the Director named it. */
  field(name) { return this.errors.find((e) => e.extensions?.field === name)?.message; }
  /** The messages that belong to no field of the form. */
  general(fields) { return this.errors.filter((e) => !fields.includes(e.extensions?.field)).map((e) => e.message).join('; '); }
}

async function send(url, init) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError([{ message: 'The Director cannot be reached', extensions: { code: 'NETWORK' } }]);
  }
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (body.errors?.length) {
    const error = new ApiError(body.errors);
    if (error.code === 'UNAUTHENTICATED' && !url.startsWith('/session')) signedOut();
    throw error;
  }
  if (!response.ok) throw new ApiError([{ message: `The Director answered ${response.status}` }]);
  return body;
}

export async function gql(query, variables = {}) {
  const body = await send('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json', ...csrf },
    body: JSON.stringify({ query, variables }),
  });
  return body.data;
}

/** The signed-in user (header fields), null when signed out, undefined until the first answer. */
export const me = signal(undefined);
const meQuery = 'query { me { id username role credit creditRunsOutAt } version }';
export const version = signal('');

export async function loadMe() {
  try {
    const data = await gql(meQuery);
    version.value = data.version;
    me.value = data.me;
  } catch (error) {
    if (error.code !== 'UNAUTHENTICATED') throw error;
  }
}

export async function signIn(username, password) {
  await send('/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...csrf },
    body: JSON.stringify({ username, password }),
  });
  await loadMe();
}

export async function signOut() {
  await send('/session', { method: 'DELETE', headers: csrf });
  signedOut();
}

function signedOut() {
  live?.dispose();
  live = null;
  me.value = null;
}

// Live updates: one subscription to the events the user may see. Each event bumps `changes`, and every page
// refetches what it shows; a refetch also follows each (re)connection, so nothing missed while away stays stale.
export const changes = signal(0);
let live = null;

export function startLive() {
  if (live) return;
  const client = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    retryAttempts: Infinity,
    on: { connected: () => changes.value++ },
  });
  // graphql-ws sends this same object again after a drop: moving `after` to each event's sequence makes the
  // Director replay exactly what was missed, with no gap and no duplicate.
  const request = { query: 'subscription($after: Long) { events(after: $after) { sequence type } }', variables: { after: null } };
  let pending = null;
  client.subscribe(request, {
    next: ({ data }) => {
      if (!data) return;
      request.variables.after = data.events.sequence;
      // A burst of events (a service starting) becomes one refetch.
      pending ??= setTimeout(() => { pending = null; changes.value++; }, 100);
    },
    error: () => {},
    complete: () => {},
  });
  live = client;
}
