/**
 * The published JSON Schemas (schemas/*.schema.json) are in step with the code, and they and the
 * validators agree on the shipped examples and on broken documents: what an editor accepts, the
 * platform accepts, and what the platform rejects (naming the field), the editor flags.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../src/config';
import { publishedSchemas, schemaText } from '../../src/shared/json-schemas';
import { validateModelsFile } from '../../src/shared/model-declaration';
import { validateSourceDefinition } from '../../src/shared/source-definition';

const read = (file: string) => readFileSync(join(projectRoot, file), 'utf8');
const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemaOf = (name: string) => ajv.compile(JSON.parse(read(`schemas/${name}.schema.json`)) as object);

describe('published JSON Schemas', () => {
  it.each(publishedSchemas().map((p) => [p.file, p]))(
    '%s is what the code generates (npm run schemas)',
    (file, published) => {
      expect(read(file)).toBe(schemaText(published.schema));
    },
  );

  it('the example source and the models files are valid for both the JSON Schema and the validator', () => {
    const source = JSON.parse(read('docs/source.example.json')) as unknown;
    expect(schemaOf('source')(source)).toBe(true);
    expect(validateSourceDefinition(source).name).toBe('crm-customers');
    for (const file of ['models.yaml', 'docs/models.example.yaml']) {
      const models = parseYaml(read(file)) as unknown;
      expect(schemaOf('models')(models), file).toBe(true);
      expect(validateModelsFile(models).map((m) => m.name)).toContain('churn');
    }
  });

  it('both reject a broken source, and the validator names the field and the value', () => {
    const source = JSON.parse(read('docs/source.example.json')) as Record<string, unknown>;
    const broken = [
      [{ ...source, pagesize: 10 }, 'source.pagesize=10 is invalid: not a known field'],
      [
        { ...source, pagination: { style: 'token' } },
        `source.pagination.style="token" is invalid: one of 'cursor', 'next-url', 'page', 'offset', 'link', 'auto'`,
      ],
      [{ ...source, name: 'CRM' }, 'source.name="CRM" is invalid: a source name'],
      [{ ...source, pageSize: 0 }, 'source.pageSize=0 is invalid: an integer from 1 to 100000'],
    ] as const;
    for (const [doc, message] of broken) {
      expect(schemaOf('source')(doc), message).toBe(false);
      expect(() => validateSourceDefinition(doc)).toThrow(message);
    }
  });

  it('both reject a broken models file, and the validator names the field and the value', () => {
    const file = parseYaml(read('docs/models.example.yaml')) as { models: { churn: Record<string, unknown> } };
    const churn = file.models.churn;
    const broken = [
      [{ models: { churn: { ...churn, metric: 'f1' } } }, `models.churn.metric="f1" is invalid: one of 'auc'`],
      [
        { models: { churn: { ...churn, specs: [{ name: 'x y', algorithm: 'gbm' }] } } },
        'models.churn.specs[0].name="x y" is invalid: a spec name',
      ],
      [
        { models: { churn: { ...churn, specs: [{ name: 'a', algorithm: 'svm' }] } } },
        `models.churn.specs[0].algorithm="svm" is invalid: one of 'gbm'`,
      ],
      [
        { models: { churn: { ...churn, trainingWindow: 'a month' } } },
        `models.churn.trainingWindow="a month" is invalid: a duration`,
      ],
      [{ models: { '9lives': churn } }, 'models="9lives" is invalid: a model name'],
      [
        { models: { churn: { ...churn, retrain: { requireAproval: true } } } },
        'models.churn.retrain.requireAproval=true is invalid: not a known field',
      ],
    ] as const;
    for (const [doc, message] of broken) {
      expect(schemaOf('models')(doc), message).toBe(false);
      expect(() => validateModelsFile(doc)).toThrow(message);
    }
  });
});
