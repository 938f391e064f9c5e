// Bundles the dashboard into ../src/Api/wwwroot: assets named after their content hash (served as immutable)
// and an index.html that names them (served as no-cache). No CDN: everything the page needs is in the bundle.
import * as esbuild from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const out = path.resolve(import.meta.dirname, '../src/Api/wwwroot');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: 'src/main.js' },
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
});

const name = (ext) => path.basename(Object.keys(result.metafile.outputs).find((f) => f.endsWith(ext)));
await writeFile(path.join(out, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ConPaaS</title>
<link rel="stylesheet" href="/assets/${name('.css')}">
<script type="module" src="/assets/${name('.js')}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`);
