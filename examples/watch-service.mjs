// Watch a service change live: node examples/watch-service.mjs <token> <service id>
// (needs: npm install graphql-ws ws — or run it from tests/js, where they are installed)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [token, serviceId] = process.argv.slice(2);
const client = createClient({
  url: process.env.CPS_WS ?? 'ws://127.0.0.1:5555/graphql',
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
});

client.subscribe(
  { query: 'subscription($id: ID!) { serviceChanged(id: $id) { state stateReason nodes { name state address } } }', variables: { id: serviceId } },
  {
    next: ({ data, errors }) => {
      if (errors) return console.error(errors);
      const s = data.serviceChanged;
      console.log(new Date().toISOString(), s.state, s.nodes.map((n) => `${n.name}:${n.state}`).join(' '));
    },
    error: (e) => { console.error(e); process.exit(1); },
    complete: () => process.exit(0),
  },
);
