// What the graphql-ws and graphql-sse clients (ws-client.mjs, sse-client.mjs) share: the command line, the time limit of
// the whole run, and the operations run one after the other, each ending when the server completes it or, when
// `until` is given, at the first result whose JSON contains that text (the client leaving its loop ends it).

/** The url and spec of `node <client>.mjs <url> '<spec>'`, and a timer that ends the process when nothing answers. */
export function commandLine() {
  const [url, specJson] = process.argv.slice(2);
  const spec = JSON.parse(specJson ?? '{}');
  const timeout = setTimeout(() => {
    console.error(`no answer within ${spec.timeoutMs ?? 20000} ms`);
    process.exit(3);
  }, spec.timeoutMs ?? 20000);
  return { url, spec, timeout };
}

/** Runs spec.operations through client.iterate; errorOf(e) is what the output shows of a failure. */
export async function runOperations(client, spec, errorOf) {
  const output = { operations: [] };
  for (const operation of spec.operations ?? []) {
    const results = [];
    let ended = 'server';
    let error;
    try {
      for await (const result of client.iterate({ query: operation.query, variables: operation.variables })) {
        results.push(result);
        if (operation.until && JSON.stringify(result).includes(operation.until)) {
          ended = 'client';
          break;
        }
      }
    } catch (e) {
      error = errorOf(e);
    }
    output.operations.push({ results, ended, ...(error ? { error } : {}) });
  }
  return output;
}
