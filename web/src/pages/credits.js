// The credit ledger, oldest first, a page at a time (creditLedger's cursors), and the balance chart with the forecast
// to zero. Live.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ErrorText, fromNow, useQuery, when } from '../ui.js';

const pageSize = 20;
// The chart's points: the ledger's first entries (creditLedger pages oldest first; a longer ledger shows its start).
const chartQuery = 'query { me { credit creditRunsOutAt } creditLedger(first: 1000) { at balance } }';

/** The balance over time as an inline SVG (no chart library): a step line through the ledger to now, then, when
 *  VMs run, a dashed line down to zero at creditRunsOutAt. Its text alternative says the same in words. */
function BalanceChart() {
  const { data } = useQuery(chartQuery);
  if (!data || data.creditLedger.length === 0) return null;
  const now = Date.now();
  const points = data.creditLedger.map((e) => [Date.parse(e.at), e.balance]);
  points.push([now, data.me.credit]);
  const zeroAt = data.me.creditRunsOutAt && Date.parse(data.me.creditRunsOutAt);
  const [width, height, pad] = [640, 200, 30];
  const start = points[0][0];
  const end = Math.max(zeroAt ?? now, now, start + 1);
  const top = Math.max(1, ...points.map((p) => p[1]));
  const x = (t) => pad + ((t - start) / (end - start)) * (width - 2 * pad);
  const y = (b) => height - pad - (b / top) * (height - 2 * pad);
  // A balance holds until the next entry: a horizontal then a vertical segment per entry.
  const line = points.map(([t, b], i) => (i === 0 ? `M${x(t)},${y(b)}` : `H${x(t)}V${y(b)}`)).join('');
  const label = `Balance from ${points[0][1]} to ${data.me.credit} credits now` +
    (zeroAt ? `; at the current rate it reaches 0 ${fromNow(data.me.creditRunsOutAt)}` : '; nothing runs');
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${label} data-testid="balance-chart">
      <line class="axis" x1=${pad} y1=${y(0)} x2=${width - pad} y2=${y(0)} />
      <text x=${pad - 4} y=${y(top) + 4} text-anchor="end">${top}</text>
      <text x=${pad - 4} y=${y(0) + 4} text-anchor="end">0</text>
      <path class="balance" d=${line} />
      ${zeroAt && html`<path class="forecast" data-testid="forecast" d=${`M${x(now)},${y(data.me.credit)}L${x(zeroAt)},${y(0)}`} />`}
    </svg>
    <figcaption>${label}.</figcaption>
  </figure>`;
}
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
    <${BalanceChart} />
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
