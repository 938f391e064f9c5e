// Sign in and register: the API's field errors appear next to their fields.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql, signIn } from '../api.js';
import { ErrorText, Field, useAction, useQuery } from '../ui.js';

const registerFields = ['username', 'email', 'password', 'firstName', 'lastName', 'affiliation'];

export function AuthPage() {
  const [mode, setMode] = useState('signin');
  const [form, setForm] = useState({});
  const { busy, error, run } = useAction();
  const set = (event) => setForm({ ...form, [event.currentTarget.name]: event.currentTarget.value });
  const registering = mode === 'register';
  // One button per configured identity provider: a plain link, as the flow is a top-level navigation (Sso/ on the server).
  const providers = useQuery('query { ssoProviders { name displayName } }').data?.ssoProviders ?? [];

  const submit = (event) => {
    event.preventDefault();
    run(async () => {
      if (registering) {
        const input = Object.fromEntries(registerFields.filter((f) => form[f]).map((f) => [f, form[f]]));
        await gql('mutation($input: RegisterInput!) { register(input: $input) { id } }',
          { input: { username: '', email: '', password: '', ...input } });
      }
      await signIn(form.username ?? '', form.password ?? '');
    });
  };
  const field = (name, label, props = {}) => html`<${Field} name=${name} label=${label} value=${form[name] ?? ''}
    onInput=${set} error=${error?.field(name)} ...${props} />`;

  return html`<main class="auth">
    <h1>${registering ? 'Create an account' : 'Sign in to ConPaaS'}</h1>
    <form onSubmit=${submit} novalidate>
      ${field('username', 'Username', { autocomplete: 'username', required: true })}
      ${registering && field('email', 'E-mail', { type: 'email', autocomplete: 'email', required: true })}
      ${field('password', 'Password', { type: 'password', required: true,
        autocomplete: registering ? 'new-password' : 'current-password' })}
      ${registering && html`
        ${field('firstName', 'First name (optional)', { autocomplete: 'given-name' })}
        ${field('lastName', 'Last name (optional)', { autocomplete: 'family-name' })}
        ${field('affiliation', 'Affiliation (optional)', { autocomplete: 'organization' })}`}
      <${ErrorText} error=${error?.general(registerFields)} />
      <button type="submit" disabled=${busy}>${registering ? 'Register' : 'Sign in'}</button>
    </form>
    ${!registering && providers.length > 0 && html`<div class="sso">
      ${providers.map((p) => html`<a class="button" href=${`/sso/${encodeURIComponent(p.name)}/start`}>Sign in with ${p.displayName}</a>`)}
    </div>`}
    <p>${registering ? 'Already have an account? ' : 'New to ConPaaS? '}
      <button type="button" class="link" onClick=${() => setMode(registering ? 'signin' : 'register')}>
        ${registering ? 'Sign in' : 'Create an account'}</button></p>
  </main>`;
}
