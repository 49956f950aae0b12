// The import graph's two rules (docs/ARCHITECTURE.md, Layers), type-only imports included
// (`tsPreCompilationDeps`): no circle (one concept split over two files, or a layer that climbs; ESLint's
// import-x/no-cycle skips type-only imports, which is how the last circles hid), and each layer imports
// only the layers below it. `npm run lint` runs it. The kernel's own rule (src/shared/ imports only
// itself) and the workflow sandbox's are ESLint's, in eslint.config.mjs.

/** The layers from the top down, as path patterns; a file imports its own layer or lower ones only. */
const LAYERS = [
  { name: 'entry points', path: '^src/(cli|serving|stack|deploy)/|^src/worker\\.ts$' },
  { name: 'workflows', path: '^src/workflows/' },
  { name: 'activities', path: '^src/activities/' },
  { name: 'roles', path: '^src/(registry|webhooks|ingest|feature-store|h2o|catalog|warehouse|mojo|demo)/' },
  { name: 'connections', path: '^src/(client|postgres|redis|temporal-connection)\\.ts$|^src/http/' },
  { name: 'configuration', path: '^src/config\\.ts$' },
];

const climbing = LAYERS.slice(1).map((layer, i) => ({
  name: `no-climbing-from-${layer.name.replace(/ /g, '-')}`,
  severity: 'error',
  comment: `${layer.name} import only their own layer or those below (docs/ARCHITECTURE.md, Layers).`,
  from: { path: layer.path },
  to: {
    path: LAYERS.slice(0, i + 1)
      .map((above) => above.path)
      .join('|'),
  },
}));
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file reaches itself through its imports (type-only imports count).',
      from: {},
      to: { circular: true },
    },
    ...climbing,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|\\.stack)/' },
  },
};
