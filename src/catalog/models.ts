/** Reads the declared models file (MODELS_CONFIG); a missing file means no declared models. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ValidationError } from '../shared/errors';
import { validateModelsFile, type ModelDeclaration } from '../shared/model-declaration';

export function loadModelDeclarations(path: string): ModelDeclaration[] {
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ValidationError('MODELS_CONFIG', path, `a YAML or JSON file (${(err as Error).message.split('\n')[0]})`);
  }
  return validateModelsFile(raw);
}

/** The declaration of one model, or undefined when the file does not declare it. */
export function findModelDeclaration(path: string, model: string): ModelDeclaration | undefined {
  return loadModelDeclarations(path).find((m) => m.name === model);
}
