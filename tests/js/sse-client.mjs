// A graphql-sse client (distinct connections mode) run by the C# tests against the live Director.
// Usage: node sse-client.mjs <http://host/graphql> '<spec>'
//   spec = { authorization?, timeoutMs?, operations: [{ query, variables?, until? }] }
// Each operation is its own event stream. It ends when the server completes it, or, when `until` is given, at the
// first result whose JSON contains that text (the client then closes the stream).
// Prints { operations: [{ results, ended: "server" | "client", error? }] } as JSON on stdout.
import { createClient } from 'graphql-sse';
import { commandLine, runOperations } from './operations.mjs';

const { url, spec, timeout } = commandLine();

const client = createClient({
  url,
  headers: spec.authorization ? { Authorization: spec.authorization } : {},
  retryAttempts: 0,
});

// Leaving an operation's loop aborts its stream's request.
const output = await runOperations(client, spec, (e) => ({ message: e?.message ?? String(e), status: e?.response?.status }));

client.dispose();
clearTimeout(timeout);
console.log(JSON.stringify(output));
