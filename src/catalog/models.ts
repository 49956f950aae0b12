/** Reads the declared models file (MODELS_CONFIG); a missing file means no declared models and no webhooks. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ValidationError } from '../shared/errors';
import { validateModelsFile, validateWebhooksOfFile, type ModelDeclaration } from '../shared/model-declaration';
import type { WebhookSubscription } from '../shared/webhooks';

function readModelsFile(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ValidationError('MODELS_CONFIG', path, `a YAML or JSON file (${(err as Error).message.split('\n')[0]})`);
  }
}

export function loadModelDeclarations(path: string): ModelDeclaration[] {
  if (!existsSync(path)) return [];
  return validateModelsFile(readModelsFile(path));
}

/** The declaration of one model, or undefined when the file does not declare it. */
export function findModelDeclaration(path: string, model: string): ModelDeclaration | undefined {
  return loadModelDeclarations(path).find((m) => m.name === model);
}

/** The webhook subscriptions declared in the file (its `webhooks:` map). */
export function loadWebhookSubscriptions(path: string): WebhookSubscription[] {
  if (!existsSync(path)) return [];
  return validateWebhooksOfFile(readModelsFile(path));
}
