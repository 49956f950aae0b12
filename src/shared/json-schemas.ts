/**
 * The JSON Schemas of the documents users write, generated from the kit's schemas so editors check
 * exactly what the platform accepts: schemas/source.schema.json (sources/*.json, through their
 * `$schema` key) and schemas/models.schema.json (models.yaml, through its `yaml-language-server`
 * comment). `npm run schemas` writes them; test/unit/schemas.json-schema.test.ts keeps them in step.
 */
import { z } from 'zod';
import { modelsFile } from './model-declaration';
import { sourceDefinition } from './source-definition';

export interface PublishedSchema {
  /** path of the file, from the project root */
  file: string;
  schema: Record<string, unknown>;
}

function publish(file: string, title: string, schema: z.ZodType): PublishedSchema {
  // io 'input': what a user may write (defaults optional), not what the parser returns
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return { file, schema: { ...json, title } };
}

export function publishedSchemas(): PublishedSchema[] {
  return [
    publish(
      'schemas/source.schema.json',
      'A source definition of mlops-orchestrator (INGEST_SOURCES_DIR/<name>.json)',
      sourceDefinition,
    ),
    publish(
      'schemas/models.schema.json',
      'The declared models of mlops-orchestrator (MODELS_CONFIG, models.yaml)',
      modelsFile,
    ),
  ];
}

/** The text of a published schema file: stable key order as generated, two-space indent, final newline. */
export function schemaText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
