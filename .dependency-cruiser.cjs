// Import circles in src/ and bench/, type-only imports included (`tsPreCompilationDeps`): a circle is
// one concept split over two files, or a layer that climbs (docs/ARCHITECTURE.md, Layers). ESLint's
// import-x/no-cycle skips type-only imports, which is how the last circles hid, so circles are
// checked here; `npm run lint` runs it.
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
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|\\.stack)/' },
  },
};
