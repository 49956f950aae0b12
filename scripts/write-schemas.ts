/**
 * `npm run schemas`: writes schemas/*.schema.json from the kernel's zod schemas (src/shared/json-schemas.ts).
 * `--check` writes nothing and exits 1 when a file differs from what the code would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/config';
import { publishedSchemas, schemaText } from '../src/shared/json-schemas';

const check = process.argv.includes('--check');
let stale = 0;
for (const { file, schema } of publishedSchemas()) {
  const path = join(projectRoot, file);
  const text = schemaText(schema);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    /* missing: written below, or stale under --check */
  }
  if (current === text) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run schemas`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale ? 1 : 0);
