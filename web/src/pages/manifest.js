// "Deploy from manifest" (the original frontend's, declarative here): paste or pick a manifest, see the dry run's
// plan, then apply it. The page checks it against the manifest schema first and sends nothing while it does not
// match; the Director checks everything again. Either lists every problem with its place in the manifest.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
// Compiled by build.mjs from docs/contract/manifest.schema.json, the schema the Director serves.
import { refused, validate } from 'manifest-schema';
import { gql } from '../api.js';
import { ErrorText, useAction } from '../ui.js';

const apply = 'mutation($m: JSON!, $d: Boolean) { applyManifest(manifest: $m, dryRun: $d) { digest dryRun steps { action description } application { id name } } }';

/** The manifest's JSON, or a message saying where it is not JSON: caught here, before anything is sent. */
function parse(text) {
  try {
    const manifest = JSON.parse(text);
    return manifest && typeof manifest === 'object' && !Array.isArray(manifest)
      ? { manifest }
      : { problem: 'A manifest is a JSON object with "Application" and "Services"' };
  } catch (e) {
    return { problem: `Not valid JSON: ${e.message}` };
  }
}

/** A JSON Pointer (/Services/1) and a key in it as the Director writes paths: $.Services[1].Type. */
function jsonPath(pointer, key) {
  const segments = pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return '$' + [...segments, ...(key === undefined ? [] : [key])].map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
}

/** Ajv's errors as the Director words its problems: where (a JSON path) and what, once each. */
function schemaProblems(errors) {
  const problems = errors.flatMap((e) => {
    switch (e.keyword) {
      case 'required':
        return [{ path: jsonPath(e.instancePath, e.params.missingProperty), message: `Missing required field: '${e.params.missingProperty}'` }];
      case 'additionalProperties':
        return [{ path: jsonPath(e.instancePath, e.params.additionalProperty), message: `Unknown key '${e.params.additionalProperty}'` }];
      case 'enum':
        return [{ path: jsonPath(e.instancePath, e.propertyName), message: `Should be one of ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` }];
      case 'not':
        return [{ path: jsonPath(e.instancePath), message: refused[e.schemaPath] ?? 'Not allowed here' }];
      case 'if':
      case 'propertyNames':
        return []; // the error under them says what is wrong
      default:
        return [{ path: jsonPath(e.instancePath, e.propertyName), message: e.message }];
    }
  });
  return problems.filter((p, i) => problems.findIndex((q) => q.path === p.path && q.message === p.message) === i);
}

export function DeployFromManifest({ onApplied }) {
  const [text, setText] = useState('');
  const [plan, setPlan] = useState(null); // { text, result } of the last dry run or apply
  const [problem, setProblem] = useState(null);
  const [invalid, setInvalid] = useState([]); // what the schema finds wrong: nothing is sent
  const { busy, error, run } = useAction();

  const edit = (value) => { setText(value); setPlan(null); setProblem(null); setInvalid([]); };
  const pick = async (event) => {
    const file = event.currentTarget.files?.[0];
    if (file) edit(await file.text());
  };
  const send = (dryRun) => {
    const { manifest, problem: bad } = parse(text);
    setProblem(bad ?? null);
    const wrong = manifest && !validate(manifest) ? schemaProblems(validate.errors) : [];
    setInvalid(wrong);
    if (!manifest || wrong.length > 0) return;
    run(async () => {
      setPlan(null);
      const result = (await gql(apply, { m: manifest, d: dryRun })).applyManifest;
      setPlan({ text, result });
      if (!dryRun) onApplied();
    });
  };
  const checked = plan?.text === text && plan.result.dryRun && plan.result.steps.length > 0;
  const refusal = error?.errors?.flatMap((e) => e.extensions?.problems ?? []) ?? [];
  const listed = invalid.length > 0 ? { title: 'The manifest was not sent: it does not match the manifest schema.', problems: invalid }
    : refusal.length > 0 ? { title: 'The manifest was not applied:', problems: refusal }
    : null;

  return html`<section class="card" aria-labelledby="manifest-heading">
    <h2 id="manifest-heading">Deploy from manifest</h2>
    <p class="muted">An application and its services as JSON (<a href="/manifest.schema.json">schema</a>): check shows what would change, apply does it.</p>
    <label for="manifest-text">Manifest</label>
    <textarea id="manifest-text" rows="8" spellcheck="false" value=${text} onInput=${(e) => edit(e.currentTarget.value)}
      aria-invalid=${invalid.length > 0} aria-describedby=${listed ? 'manifest-problems' : undefined}
      placeholder='{"Application": "hello", "Services": [{"Type": "helloworld", "Start": 1}]}'></textarea>
    ${listed && html`<div role="alert" id="manifest-problems"><p class="error">${listed.title}</p>
      <ul class="problems" aria-label="Problems">${listed.problems.map((p) => html`<li><code>${p.path}</code> ${p.message}</li>`)}</ul></div>`}
    <label for="manifest-file">Or pick a file</label>
    <input id="manifest-file" type="file" accept=".json,application/json" onChange=${pick} />
    <div class="actions">
      <button type="button" class="secondary" disabled=${busy || !text.trim()} onClick=${() => send(true)}>Check (dry run)</button>
      <button type="button" disabled=${busy || !checked} onClick=${() => send(false)}>Apply</button>
    </div>
    <${ErrorText} error=${problem} />
    ${!listed && html`<${ErrorText} error=${error?.message} />`}
    ${plan && html`<div aria-live="polite" data-testid="manifest-plan">
      <p>${plan.result.steps.length === 0
        ? `Nothing to do: ${plan.result.application?.name ?? 'the application'} is as the manifest says.`
        : plan.result.dryRun ? 'Applying would:' : `Applied (manifest ${plan.result.digest.slice(0, 12)}):`}</p>
      ${plan.result.steps.length > 0 && html`<ol class="plan">${plan.result.steps.map((s) => html`<li><code>${s.action}</code> ${s.description}</li>`)}</ol>`}
    </div>`}
  </section>`;
}
