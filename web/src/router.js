// Client-side routes (the Director answers index.html for them): see main.js.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';

export const path = signal(location.pathname);
addEventListener('popstate', () => { path.value = location.pathname; });

export function navigate(to) {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  path.value = to;
  scrollTo(0, 0);
}

/** An ordinary link (keyboard, middle click, copy address) that changes page without a reload. */
export function Link({ href, children, ...rest }) {
  const click = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

/** Matches a pattern like /services/:id against the current path; the parameters, or null. */
export function match(pattern, current) {
  const names = [];
  const regex = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, name) => { names.push(name); return '([^/]+)'; }) + '/?$');
  const found = regex.exec(current);
  return found && Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
}
