// "Deploy from manifest" (the original frontend's, declarative here): paste or pick a manifest, see the dry run's
// plan, then apply it. The Director checks everything; a refusal lists every problem with its place in the manifest.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
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

export function DeployFromManifest({ onApplied }) {
  const [text, setText] = useState('');
  const [plan, setPlan] = useState(null); // { text, result } of the last dry run or apply
  const [problem, setProblem] = useState(null);
  const { busy, error, run } = useAction();

  const edit = (value) => { setText(value); setPlan(null); setProblem(null); };
  const pick = async (event) => {
    const file = event.currentTarget.files?.[0];
    if (file) edit(await file.text());
  };
  const send = (dryRun) => {
    const { manifest, problem: bad } = parse(text);
    setProblem(bad ?? null);
    if (!manifest) return;
    run(async () => {
      setPlan(null);
      const result = (await gql(apply, { m: manifest, d: dryRun })).applyManifest;
      setPlan({ text, result });
      if (!dryRun) onApplied();
    });
  };
  const checked = plan?.text === text && plan.result.dryRun && plan.result.steps.length > 0;
  const problems = error?.errors?.flatMap((e) => e.extensions?.problems ?? []) ?? [];

  return html`<section class="card" aria-labelledby="manifest-heading">
    <h2 id="manifest-heading">Deploy from manifest</h2>
    <p class="muted">An application and its services as JSON (<a href="/manifest.schema.json">schema</a>): check shows what would change, apply does it.</p>
    <label for="manifest-text">Manifest</label>
    <textarea id="manifest-text" rows="8" spellcheck="false" value=${text} onInput=${(e) => edit(e.currentTarget.value)}
      placeholder='{"Application": "hello", "Services": [{"Type": "helloworld", "Start": 1}]}'></textarea>
    <label for="manifest-file">Or pick a file</label>
    <input id="manifest-file" type="file" accept=".json,application/json" onChange=${pick} />
    <div class="actions">
      <button type="button" class="secondary" disabled=${busy || !text.trim()} onClick=${() => send(true)}>Check (dry run)</button>
      <button type="button" disabled=${busy || !checked} onClick=${() => send(false)}>Apply</button>
    </div>
    <${ErrorText} error=${problem} />
    ${problems.length > 0
      ? html`<div role="alert"><p class="error">The manifest was not applied:</p>
          <ul class="problems" aria-label="Problems">${problems.map((p) => html`<li><code>${p.path}</code> ${p.message}</li>`)}</ul></div>`
      : html`<${ErrorText} error=${error?.message} />`}
    ${plan && html`<div aria-live="polite" data-testid="manifest-plan">
      <p>${plan.result.steps.length === 0
        ? `Nothing to do: ${plan.result.application?.name ?? 'the application'} is as the manifest says.`
        : plan.result.dryRun ? 'Applying would:' : `Applied (manifest ${plan.result.digest.slice(0, 12)}):`}</p>
      ${plan.result.steps.length > 0 && html`<ol class="plan">${plan.result.steps.map((s) => html`<li><code>${s.action}</code> ${s.description}</li>`)}</ol>`}
    </div>`}
  </section>`;
}
