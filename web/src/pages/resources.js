// Resources (ConPaaS list_resources): every VM of the user, grouped by application. Live.
import { html } from 'htm/preact';
import { Link } from '../router.js';
import { ErrorText, StateBadge, useQuery } from '../ui.js';

const query = `query { vms {
  id name role serviceRole state address vpnAddress cloud chargedHours
  service { id name application { id name } }
} }`;

export function ResourcesPage() {
  const { data, error } = useQuery(query);
  const groups = data ? Map.groupBy(data.vms, (vm) => vm.service.application.id) : new Map();
  return html`<main>
    <h1>Resources</h1>
    <${ErrorText} error=${error?.message} />
    ${data && data.vms.length === 0 && html`<p>No VM runs.</p>`}
    ${[...groups].map(([appId, vms]) => html`<section key=${appId} aria-label=${`Application ${vms[0].service.application.name}`}>
      <h2><${Link} href=${`/apps/${appId}`}>${vms[0].service.application.name}</${Link}></h2>
      <div class="table-scroll"><table>
        <thead><tr><th scope="col">VM</th><th scope="col">Service</th><th scope="col">Role</th><th scope="col">State</th>
          <th scope="col">Address</th><th scope="col">Cloud</th><th scope="col">Hours charged</th></tr></thead>
        <tbody>${vms.map((vm) => html`<tr key=${vm.id} data-vm=${vm.name}>
          <td>${vm.name}</td>
          <td><${Link} href=${`/services/${vm.service.id}`}>${vm.service.name}</${Link}></td>
          <td>${vm.role === 'MANAGER' ? 'manager' : vm.serviceRole ?? 'agent'}</td>
          <td><${StateBadge} state=${vm.state} /></td>
          <td>${vm.address ?? '—'}${vm.vpnAddress ? ` (VPN ${vm.vpnAddress})` : ''}</td>
          <td>${vm.cloud}</td>
          <td>${vm.chargedHours}</td>
        </tr>`)}</tbody>
      </table></div>
    </section>`)}
  </main>`;
}
