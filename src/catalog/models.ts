/**
 * Reads the declared models file (MODELS_CONFIG); a missing file means no declared models and no webhooks. YAML merge
 * keys (`<<: *base`) are on, so a fleet of similar models shares one anchored declaration.
 * The parsed file is kept while its mtime and size stay the same: every sensor run resolves its
 * model's declaration, and a thousand runs must not parse a thousand-model file a thousand times.
 * One entry (the latest file), so memory follows the file, not the number of runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { ValidationError } from '../shared/errors';
import { validateDeclarationsFile, type ModelDeclaration } from '../shared/model-declaration';
import type { WebhookSubscription } from '../shared/webhooks';

let cached:
  | {
      path: string;
      mtimeMs: number;
      size: number;
      models: readonly ModelDeclaration[];
      webhooks: readonly WebhookSubscription[];
      byName: ReadonlyMap<string, ModelDeclaration>;
    }
  | undefined;

function load(path: string): NonNullable<typeof cached> | undefined {
  if (!existsSync(path)) return undefined;
  const { mtimeMs, size } = statSync(path);
  if (cached && cached.path === path && cached.mtimeMs === mtimeMs && cached.size === size) return cached;
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'), { merge: true, maxAliasCount: 100_000 });
  } catch (err) {
    throw new ValidationError('MODELS_CONFIG', path, `a YAML or JSON file (${(err as Error).message.split('\n')[0]})`);
  }
  const { models, webhooks } = validateDeclarationsFile(raw);
  cached = { path, mtimeMs, size, models, webhooks, byName: new Map(models.map((m) => [m.name, m])) };
  return cached;
}

export function loadModelDeclarations(path: string): ModelDeclaration[] {
  return [...(load(path)?.models ?? [])];
}

/** The declaration of one model, or undefined when the file does not declare it. */
export function findModelDeclaration(path: string, model: string): ModelDeclaration | undefined {
  return load(path)?.byName.get(model);
}

/** The webhook subscriptions declared in the file (its `webhooks:` map). */
export function loadWebhookSubscriptions(path: string): WebhookSubscription[] {
  return [...(load(path)?.webhooks ?? [])];
}
