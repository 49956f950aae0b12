/**
 * Loading a MOJO: the zip's layout, the entry names (before anything is inflated), model.ini, the
 * domains, the servability checks (header.ts), the algorithm's scorer and the CRC of the entries scoring
 * does not read. Everything that can be refused is refused here, at load, with a MojoError naming the
 * file and the setting: a loaded model never fails later for a reason the file holds. Every count the
 * file declares is bounded (budget.ts) before anything sized by it is allocated.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MojoError } from '../shared/errors';
import { glmScorer } from './glm-model';
import { readHeader } from './header';
import { parseModelIni } from './model-ini';
import { treeScorer } from './tree-model';
import type { MojoModel } from './types';
import { openZip } from './zip';

const ENTRY =
  /^(model\.ini|domains\/d\d{3,}\.txt|trees\/t\d{2}_\d{3,}(_aux)?\.bin|experimental\/[\w.-]+|_orig_names|_orig_domain_values_\d+|(domains|trees|experimental)\/)$/;

/** Loads a MOJO zip from its bytes; `name` (a path or model id) is what errors call it. */
export function loadMojo(bytes: Buffer, name: string): MojoModel {
  try {
    return load(bytes, name);
  } catch (err) {
    if (err instanceof MojoError) throw err;
    // The last line: every cause known is refused by name where it is read; anything else is still the
    // file's fault, and a verdict on it, never a crash of the caller (a RangeError, a TypeError).
    const e = err instanceof Error ? err : new Error(String(err));
    throw new MojoError(name, 'load', `cannot be read (${e.name}: ${e.message}): the file is damaged or not a MOJO`);
  }
}

function load(bytes: Buffer, name: string): MojoModel {
  const zip = openZip(bytes, name);
  if (!zip.has('model.ini')) throw new MojoError(name, 'model.ini', 'is missing: the zip is not an H2O MOJO');
  // Only entries H2O writes: a renamed entry (a damaged name) would otherwise hide a tree or a domain.
  for (const entry of zip.names()) {
    if (!ENTRY.test(entry))
      throw new MojoError(name, entry, 'is not an entry H2O writes in a MOJO: the file is damaged or not a MOJO');
  }
  const ini = parseModelIni(zip.read('model.ini').toString('utf8'), name);
  const h = readHeader(ini, zip, name);
  const scorer = h.algorithm === 'glm' ? glmScorer(h, ini) : treeScorer(h, ini, zip);
  zip.verifyUnread();
  return {
    algorithm: h.algorithm,
    category: h.category,
    mojoVersion: h.mojoVersion,
    h2oVersion: h.h2oVersion,
    family: scorer.family,
    features: h.features,
    domains: h.domains,
    response: h.response,
    classes: h.classes,
    outputNames: ['predict', ...(h.classes ?? [])],
    defaultThreshold: h.defaultThreshold,
    score0: (row, preds) => scorer.score0(row, preds),
  };
}

export async function loadMojoFile(path: string): Promise<MojoModel> {
  return loadMojo(await readFile(path), basename(path));
}
