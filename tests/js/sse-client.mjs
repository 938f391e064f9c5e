// A graphql-sse client (distinct connections mode) run by the C# tests against the live Director.
// Usage: node sse-client.mjs <http://host/graphql> '<spec>'
//   spec = { authorization?, timeoutMs?, operations: [{ query, variables?, until? }] }
// Each operation is its own event stream. It ends when the server completes it, or, when `until` is given, at the
// first result whose JSON contains that text (the client then closes the stream).
// Prints { operations: [{ results, ended: "server" | "client", error? }] } as JSON on stdout.
import { createClient } from 'graphql-sse';

const [url, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson ?? '{}');
const timeout = setTimeout(() => {
  console.error(`no answer within ${spec.timeoutMs ?? 20000} ms`);
  process.exit(3);
}, spec.timeoutMs ?? 20000);

const client = createClient({
  url,
  headers: spec.authorization ? { Authorization: spec.authorization } : {},
  retryAttempts: 0,
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
        ended = 'client'; // leaving the loop aborts this stream's request
        break;
      }
    }
  } catch (e) {
    error = { message: e?.message ?? String(e), status: e?.response?.status };
  }
  output.operations.push({ results, ended, ...(error ? { error } : {}) });
}

client.dispose();
clearTimeout(timeout);
console.log(JSON.stringify(output));
