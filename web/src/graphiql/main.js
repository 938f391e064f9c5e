// GraphiQL at /graphiql, signed in with the dashboard's cookie session: queries and mutations over HTTP (with the
// CSRF header every cookie-authenticated POST carries), subscriptions over graphql-ws on the same origin.
// Monaco's workers are bundled beside this file (web/build.mjs); the page names them in <meta> tags because their
// file names carry a content hash and the page's CSP allows no inline script.
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import { parse } from 'graphql';
import 'graphiql/style.css';
import './page.css';

const worker = (label) => document.querySelector(`meta[name="worker-${label}"]`)?.content;
globalThis.MonacoEnvironment = {
  getWorker: (_id, label) => new Worker(worker(label) ?? worker('editor'), { type: 'module' }),
};

const ws = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
const toolkit = createGraphiQLFetcher({
  url: '/graphql',
  headers: { 'X-Conpaas-Csrf': '1' },
  fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
  wsClient: createClient({ url: ws, lazy: true }),
});
// The toolkit sends an operation over the WebSocket only when the document it is given has a subscription of exactly
// the operation name asked for (compared with ===). The editor gives both from a parse of its own that may lag the
// text just typed, and may name an anonymous operation null rather than undefined: either sent a subscription run at
// once over HTTP. So the document is parsed here, from the text being sent, and the operation is named from it.
const documentOf = (query) => { try { return parse(query); } catch { return undefined; } };
const fetcher = (params, opts) => {
  const documentAST = documentOf(params.query);
  if (!documentAST) return toolkit(params, opts);
  const operations = documentAST.definitions.filter((d) => d.kind === 'OperationDefinition');
  const chosen = operations.find((o) => (o.name?.value ?? null) === (params.operationName ?? null))
    ?? (operations.length === 1 ? operations[0] : undefined);
  const operationName = chosen ? chosen.name?.value : params.operationName ?? undefined;
  return toolkit({ ...params, operationName }, { ...opts, documentAST });
};

const welcome = `# The Director's GraphQL API, signed in as you (sign in on the dashboard first: /).
# Ctrl-Enter runs; the Docs button shows the schema. Subscriptions work too, e.g.
#   subscription { events { sequence type streamId at actor } }
query {
  me { username role credit }
  applications { id name services { id type state } }
}
`;

createRoot(document.getElementById('graphiql')).render(
  createElement(GraphiQL, { fetcher, defaultQuery: welcome, shouldPersistHeaders: false }),
);
