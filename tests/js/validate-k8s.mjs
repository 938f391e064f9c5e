// Validates every YAML document under a folder (default: deploy/kubernetes) against the Kubernetes schemas of
// kubernetes-models: apiVersion/kind name the class whose validate() throws on a schema error. kustomization.yaml is
// kustomize's, not the API server's: its resources must be files of the folder. Exits 1 naming the file and error.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const folder = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), "../../../deploy/kubernetes"));
const failures = [];
let validated = 0;

for (const file of readdirSync(folder).filter(f => /\.ya?ml$/.test(f)).sort()) {
  const path = join(folder, file);
  for (const [index, doc] of parseAllDocuments(readFileSync(path, "utf8")).entries()) {
    const where = `${path} (document ${index + 1})`;
    if (doc.errors.length > 0) { failures.push(`${where}: ${doc.errors[0].message}`); continue; }
    const manifest = doc.toJS();
    if (manifest === null) continue;
    try {
      if (manifest.kind === "Kustomization") {
        for (const resource of manifest.resources ?? [])
          if (!existsSync(join(folder, resource))) throw new Error(`resource ${resource} is not in ${folder}`);
        continue;
      }
      const { apiVersion, kind } = manifest;
      if (typeof apiVersion !== "string" || typeof kind !== "string") throw new Error("apiVersion and kind are required");
      let models;
      try { models = await import(`kubernetes-models/${apiVersion}`); }
      catch { throw new Error(`unknown apiVersion ${apiVersion}`); }
      const Model = models[kind];
      if (typeof Model !== "function") throw new Error(`unknown kind ${kind} in ${apiVersion}`);
      new Model(manifest).validate();
      validated++;
    } catch (error) {
      failures.push(`${where}: ${manifest?.kind ?? "?"} ${manifest?.metadata?.name ?? ""}: ${error.message}`);
    }
  }
}

if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
if (validated === 0) { console.error(`no Kubernetes manifest under ${folder}`); process.exit(1); }
console.log(`${validated} manifests valid`);
