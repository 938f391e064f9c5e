// Prints a YAML file (one document, anchors and merge keys resolved) as JSON, for the C# tests to inspect.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

console.log(JSON.stringify(parse(readFileSync(process.argv[2], "utf8"), { merge: true })));
