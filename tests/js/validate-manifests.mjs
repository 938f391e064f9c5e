// Validates manifests against docs/contract/manifest.schema.json with Ajv (JSON Schema 2020-12): every file named
// on the command line must be valid, every file after "--invalid" must not be. Prints one line per file; exits 1
// naming the first wrong verdict.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";

const root = join(fileURLToPath(import.meta.url), "../../..");
const schema = JSON.parse(readFileSync(join(root, "docs/contract/manifest.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

let expectValid = true;
let failed = false;
for (const arg of process.argv.slice(2)) {
  if (arg === "--invalid") { expectValid = false; continue; }
  const valid = validate(JSON.parse(readFileSync(join(root, arg), "utf8")));
  const errors = (validate.errors ?? []).map(e => `${e.instancePath || "/"} ${e.message}`).join("; ");
  console.log(`${arg}: ${valid ? "valid" : "invalid: " + errors}`);
  if (valid !== expectValid) { console.error(`${arg}: expected ${expectValid ? "valid" : "invalid"}`); failed = true; }
}
process.exit(failed ? 1 : 0);
