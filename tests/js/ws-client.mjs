// A graphql-ws (graphql-transport-ws) client run by the C# tests against the live Director.
// Usage: node ws-client.mjs <ws://host/graphql> '<spec>'
//   spec = { authorization?, timeoutMs?, operations: [{ query, variables?, until? }] }
// The operations run one after the other over one socket. An operation ends when the server completes it, or, when
// `until` is given, at the first result whose JSON contains that text (the client then completes it itself).
// Prints { operations: [{ results, ended: "server" | "client", error? }], closed? } as JSON on stdout.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { commandLine, runOperations } from './operations.mjs';

const { url, spec, timeout } = commandLine();

let closed;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: spec.authorization ? { authorization: spec.authorization } : undefined,
  retryAttempts: 0,
  lazyCloseTimeout: 0,
  on: { closed: (event) => { closed = { code: event.code, reason: event.reason }; } },
});

// Leaving an operation's loop sends "complete" for it. An "error" message arrives as the array of GraphQL errors; a
// closed socket as its close event.
const output = await runOperations(client, spec,
  (e) => (Array.isArray(e) ? e : { code: e?.code, reason: e?.reason, message: e?.message ?? String(e) }));

await client.dispose();
clearTimeout(timeout);
if (closed) output.closed = closed;
console.log(JSON.stringify(output));
