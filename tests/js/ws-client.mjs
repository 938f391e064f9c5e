// A graphql-ws (graphql-transport-ws) client run by the C# tests against the live Director.
// Usage: node ws-client.mjs <ws://host/graphql> '<spec>'
//   spec = { authorization?, timeoutMs?, operations: [{ query, variables?, until? }] }
// The operations run one after the other over one socket. An operation ends when the server completes it, or, when
// `until` is given, at the first result whose JSON contains that text (the client then completes it itself).
// Prints { operations: [{ results, ended: "server" | "client", error? }], closed? } as JSON on stdout.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson ?? '{}');
const timeout = setTimeout(() => {
  console.error(`no answer within ${spec.timeoutMs ?? 20000} ms`);
  process.exit(3);
}, spec.timeoutMs ?? 20000);

let closed;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: spec.authorization ? { authorization: spec.authorization } : undefined,
  retryAttempts: 0,
  lazyCloseTimeout: 0,
  on: { closed: (event) => { closed = { code: event.code, reason: event.reason }; } },
});

const output = { operations: [] };
for (const operation of spec.operations ?? []) {
  const results = [];
  let ended = 'server';
  let error;
  try {
    for await (const result of client.iterate({ query: operation.query, variables: operation.variables })) {
      results.push(result);
      if (operation.until && JSON.stringify(result).includes(operation.until)) {
        ended = 'client'; // leaving the loop sends "complete" for this operation
        break;
      }
    }
  } catch (e) {
    // An "error" message arrives as the array of GraphQL errors; a closed socket as its close event.
    error = Array.isArray(e) ? e : { code: e?.code, reason: e?.reason, message: e?.message ?? String(e) };
  }
  output.operations.push({ results, ended, ...(error ? { error } : {}) });
}

await client.dispose();
clearTimeout(timeout);
if (closed) output.closed = closed;
console.log(JSON.stringify(output));
