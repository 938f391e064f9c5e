// Certificates: issue one from a CSR (pasted or read from a file), the caller's certificates and their revocation,
// the CA certificate and the CRL to download. The contract has no list query: the list is the caller's own
// CertificateIssued/CertificateRevoked events, which auditLog gives every user for their own streams. Live.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { gql, me } from '../api.js';
import { ErrorText, useAction, useQuery, when } from '../ui.js';

// Filtered by owner even for a user who may see more (an administrator's auditLog holds everyone's events).
const listQuery = `query($username: String) {
  auditLog(filter: { username: $username, types: ["CertificateIssued", "CertificateRevoked"] }, first: 1000) { events { type data } }
}`;
const issue = 'mutation($csr: String!) { issueCertificate(csrPem: $csr) { serial subject notAfter certificatePem } }';
const revoke = 'mutation($serial: String!) { revokeCertificate(serial: $serial) }';

/** The certificates the events describe, newest first, each marked revoked once a revocation names its serial. */
function certificates(events) {
  const bySerial = new Map();
  for (const { type, data } of events) {
    if (type === 'CertificateIssued') bySerial.set(data.serial, { ...data, revoked: false });
    else if (bySerial.has(data.serial)) bySerial.get(data.serial).revoked = true;
  }
  return [...bySerial.values()].reverse();
}

function IssueForm({ issued }) {
  const [csr, setCsr] = useState('');
  const action = useAction();
  const readFile = async (event) => {
    const file = event.currentTarget.files[0];
    if (file) setCsr(await file.text());
  };
  const submit = (event) => {
    event.preventDefault();
    action.run(async () => {
      issued((await gql(issue, { csr })).issueCertificate);
      setCsr('');
    });
  };
  const error = action.error?.field('csrPem') ?? action.error?.message;
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="issue-title">
    <h2 id="issue-title">Issue a certificate</h2>
    <div class="field">
      <label for="csr">Certificate signing request (PEM)</label>
      <textarea id="csr" name="csrPem" rows="8" required value=${csr} onInput=${(e) => setCsr(e.currentTarget.value)}
        placeholder="-----BEGIN CERTIFICATE REQUEST-----" aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? 'csr-error' : undefined}></textarea>
      ${error && html`<p class="field-error" id="csr-error" role="alert">${error}</p>`}
    </div>
    <div class="field">
      <label for="csr-file">Or read it from a file</label>
      <input id="csr-file" type="file" accept=".csr,.pem,.req,text/plain" onChange=${readFile} />
    </div>
    <button type="submit" disabled=${action.busy}>Issue</button>
  </form>`;
}

export function CertificatesPage() {
  const { data, error, reload } = useQuery(listQuery, { username: me.value.username });
  const [latest, setLatest] = useState(null);
  const action = useAction();
  const list = certificates(data?.auditLog.events ?? []);
  return html`<main>
    <h1>Certificates</h1>
    <p class="actions">
      <a href="/ca/certificate" download="conpaas-ca.pem">Download the CA certificate</a>
      <a href="/ca/crl.pem" download="conpaas-crl.pem">Download the revocation list (CRL)</a>
    </p>
    <${IssueForm} issued=${(certificate) => { setLatest(certificate); reload(); }} />
    ${latest && html`<section class="panel" aria-labelledby="latest-title" data-testid="issued">
      <h2 id="latest-title">Issued: ${latest.subject}</h2>
      <p>Serial <code>${latest.serial}</code>, valid until ${when(latest.notAfter)}.</p>
      <label for="latest-pem">Certificate (PEM)</label>
      <textarea id="latest-pem" rows="8" readonly value=${latest.certificatePem}></textarea>
    </section>`}
    <h2>Your certificates</h2>
    <${ErrorText} error=${error?.message ?? action.error?.message} />
    ${data && list.length === 0 && html`<p>No certificate yet.</p>`}
    ${list.length > 0 && html`<div class="table-scroll"><table aria-label="Certificates">
      <thead><tr><th scope="col">Subject</th><th scope="col">Serial</th><th scope="col">Valid until</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${list.map((c) => html`<tr key=${c.serial} data-serial=${c.serial}>
        <td>${c.subject}</td>
        <td class="serial"><code>${c.serial}</code></td>
        <td>${when(c.notAfter)}</td>
        <td><span class=${`badge ${c.revoked ? 'state-error' : 'state-running'}`}>${c.revoked ? 'revoked' : 'valid'}</span></td>
        <td>${!c.revoked && html`<button type="button" class="danger" disabled=${action.busy}
          aria-label=${`Revoke ${c.serial}`} onClick=${() => action.run(async () => { await gql(revoke, { serial: c.serial }); reload(); })}>Revoke</button>`}</td>
      </tr>`)}</tbody>
    </table></div>`}
  </main>`;
}
