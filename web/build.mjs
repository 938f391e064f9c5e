// Bundles the dashboard and GraphiQL into ../src/Api/wwwroot: assets named after their content hash (served as
// immutable) and an HTML page for each that names them (served as no-cache). No CDN: everything a page needs is in
// its bundle. GraphiQL (React and Monaco, ten times the dashboard's size) is a separate bundle, so the dashboard's
// own pages never load it; Monaco's three workers are bundles of their own, named in graphiql.html.
import * as esbuild from 'esbuild';
import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const out = path.resolve(import.meta.dirname, '../src/Api/wwwroot');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

/** The output file of an entry point, as a URL path. */
const named = (result, entry, ext) => '/assets/' + path.basename(Object.entries(result.metafile.outputs)
  .find(([file, o]) => file.endsWith(ext) && (ext === '.css' ? o : o.entryPoint?.endsWith(entry)))[0]);

const page = (title, css, js, body, head = '') => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}<link rel="stylesheet" href="${css}">
<script type="module" src="${js}"></script>
</head>
<body>
${body}
</body>
</html>
`;

/**
 * "manifest-schema": the manifest page's validator, compiled here from the very file the Director serves at
 * /manifest.schema.json (docs/contract/manifest.schema.json), so the two never differ. Ajv's standalone code: the
 * dashboard's CSP forbids eval, which Ajv's compiling at run time needs. Also the description of each key the schema
 * refuses by name ("not": {}), by its schema path: what the page says about such a key.
 */
const manifestSchema = {
  name: 'manifest-schema',
  setup(build) {
    build.onResolve({ filter: /^manifest-schema$/ }, () => ({ path: 'manifest-schema', namespace: 'manifest-schema' }));
    build.onLoad({ filter: /.*/, namespace: 'manifest-schema' }, async () => {
      const file = path.resolve(import.meta.dirname, '../docs/contract/manifest.schema.json');
      const schema = JSON.parse(await readFile(file, 'utf8'));
      const ajv = new Ajv2020({ allErrors: true, strict: true, code: { source: true, esm: true } });
      const refused = {};
      const walk = (node, at) => Object.entries(node ?? {}).forEach(([key, value]) => {
        if (typeof value !== 'object') return;
        if (value?.not && value.description) refused[`${at}/${key}/not`] = value.description;
        walk(value, `${at}/${key}`);
      });
      walk(schema, '#');
      return {
        contents: `${standaloneCode(ajv, ajv.compile(schema))}\nexport const refused = ${JSON.stringify(refused)};\n`,
        resolveDir: import.meta.dirname,
        watchFiles: [file],
      };
    });
  },
};

const app = await esbuild.build({ ...common, entryPoints: { app: 'src/main.js' }, plugins: [manifestSchema] });
await writeFile(path.join(out, 'index.html'),
  page('ConPaaS', named(app, 'src/main.js', '.css'), named(app, 'src/main.js', '.js'), '<div id="app"></div>'));

const graphiql = await esbuild.build({
  ...common,
  entryPoints: { graphiql: 'src/graphiql/main.js' },
  loader: { '.ttf': 'file' },
  define: { 'process.env.NODE_ENV': '"production"' },
});
const workers = await esbuild.build({
  ...common,
  entryPoints: {
    'editor.worker': 'src/graphiql/editor.worker.js',
    'graphql.worker': 'src/graphiql/graphql.worker.js',
    'json.worker': 'src/graphiql/json.worker.js',
  },
  define: { 'process.env.NODE_ENV': '"production"' },
});
const metas = ['editor', 'graphql', 'json']
  .map((w) => `<meta name="worker-${w}" content="${named(workers, `src/graphiql/${w}.worker.js`, '.js')}">\n`).join('');
await writeFile(path.join(out, 'graphiql.html'), page('GraphiQL · ConPaaS',
  named(graphiql, 'src/graphiql/main.js', '.css'), named(graphiql, 'src/graphiql/main.js', '.js'),
  '<div id="graphiql"></div>', metas));
