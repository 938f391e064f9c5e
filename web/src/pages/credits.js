// The credit ledger, oldest first, a page at a time (creditLedger's cursors). Live.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ErrorText, fromNow, useQuery, when } from '../ui.js';

const pageSize = 20;
const query = `query($first: Int, $after: String) {
  me { credit creditRunsOutAt }
  creditLedger(first: $first, after: $after) { at amount balance reason actor vm { name } cursor }
}`;

export function CreditsPage() {
  // The cursors of the pages seen so far: going back pops one.
  const [cursors, setCursors] = useState([null]);
  const { data, error } = useQuery(query, { first: pageSize, after: cursors.at(-1) });
  const entries = data?.creditLedger ?? [];
  return html`<main>
    <h1>Credits</h1>
    <${ErrorText} error=${error?.message} />
    ${data && html`<p>Balance: <strong>${data.me.credit}</strong> credits (1 credit = 1 VM-hour)${data.me.creditRunsOutAt
      ? `; at the current rate it runs out ${fromNow(data.me.creditRunsOutAt)}` : '; nothing runs'}.</p>`}
    <div class="table-scroll"><table aria-label="Credit ledger">
      <thead><tr><th scope="col">When</th><th scope="col">Amount</th><th scope="col">Balance</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead>
      <tbody>${entries.map((e) => html`<tr key=${e.cursor}>
        <td>${when(e.at)}</td>
        <td>${e.amount > 0 ? `+${e.amount}` : e.amount}</td>
        <td>${e.balance}</td>
        <td>${e.reason}${e.vm ? html` <span class="muted">(${e.vm.name})</span>` : ''}</td>
        <td>${e.actor}</td>
      </tr>`)}</tbody>
    </table></div>
    <div class="actions pager">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${entries.length < pageSize}
        onClick=${() => setCursors([...cursors, entries.at(-1).cursor])}>Next</button>
    </div>
  </main>`;
}
