// Small shared pieces: data loading that follows the live feed, form fields with the API's field errors, badges.
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Link } from './router.js';
import { changes, gql } from './api.js';

/** Runs a query now, again when its variables change and after every live change; keeps the last good data. */
export function useQuery(query, variables) {
  const key = JSON.stringify(variables ?? {});
  const [state, setState] = useState({ data: null, error: null });
  const latest = useRef(0);
  const tick = changes.value;
  const reload = useCallback(async () => {
    // Answers may arrive out of order (variables changed, a burst of live changes): only the newest request counts.
    const request = ++latest.current;
    try {
      const data = await gql(query, variables);
      if (request === latest.current) setState({ data, error: null });
    } catch (error) {
      if (request === latest.current) setState((old) => ({ data: old.data, error }));
    }
  }, [query, key]);
  useEffect(() => { reload(); }, [reload, tick]);
  return { ...state, reload };
}

/** A labelled input; its error (from the API's extensions.field) is announced and linked to it. Ids must be unique
 *  in the page: a form repeated per item passes its own. */
export function Field({ label, name, error, id = `field-${name}`, ...input }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name=${name} aria-invalid=${error ? 'true' : 'false'}
      aria-describedby=${error ? `${id}-error` : undefined} ...${input} />
    ${error && html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>`}
  </div>`;
}

/** Someone else's object answers NOT_FOUND exactly like a missing one; so does this page. */
export function isNotFound(query) {
  return !query.data && query.error?.code === 'NOT_FOUND';
}

export function NotFound({ what }) {
  return html`<main><h1>Not found</h1><p>No such ${what}.</p><${Link} href="/">All applications</${Link}></main>`;
}

export function ErrorText({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

export function StateBadge({ state }) {
  return html`<span class=${`badge state-${state.toLowerCase()}`}>${state}</span>`;
}

/** Runs an action for a button, shows its error, and refuses a second click while it runs. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (action) => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** "in 3 hours", "5 minutes ago". */
export function fromNow(iso) {
  const seconds = (new Date(iso) - Date.now()) / 1000;
  const [value, unit] = Math.abs(seconds) < 60 ? [seconds, 'second']
    : Math.abs(seconds) < 3600 ? [seconds / 60, 'minute']
      : Math.abs(seconds) < 86400 ? [seconds / 3600, 'hour'] : [seconds / 86400, 'day'];
  return relative.format(Math.round(value), unit);
}

export function when(iso) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}
