/**
 * Checks of what a drift sensor is handed: a policy (from DRIFT_*, models.yaml and the run's input)
 * and a stored reference profile (from the registry). Each throws the ValidationError of the field at
 * fault, so a bad value fails the run once, naming field and value, instead of failing its workflow
 * task again and again. Workflow-safe.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { ReferenceProfile } from '../types';
import { between, integer, number, parse, strict } from '../validation';
import { policyProblem, type DriftPolicy } from './verdict';

/** The overrides a run's input may give (each field optional); the same limits as models.yaml. */
export const driftPolicyOverrides = strict({
  warnThreshold: number(1e-6, 100).optional(),
  driftThreshold: number(1e-6, 100).optional(),
  minRows: integer(1, 1e9).optional(),
  sampleSizeAlpha: number(1e-6, 0.5).optional(),
  epsilon: between(0, 0.1).optional(),
});

/** Throws the ValidationError `${where}.${field}` of the first problem policyProblem finds. */
export function checkPolicy(policy: DriftPolicy, where: string): DriftPolicy {
  const problem = policyProblem(policy);
  if (problem) throw new ValidationError(`${where}.${problem[0]}`, problem[1], problem[2]);
  return policy;
}

const shares = z.array(z.number({ error: 'a share from 0 to 1' }), { error: 'a list of shares' });
const featureReference = z.discriminatedUnion(
  'kind',
  [
    z
      .object({
        kind: z.literal('numeric'),
        edges: z.array(z.number(), { error: 'a list of bin edges' }),
        shares,
        nullShare: z.number({ error: 'a share from 0 to 1' }),
      })
      .refine((r) => r.shares.length === r.edges.length + 1, {
        path: ['shares'],
        error: 'one share per bin (edges + 1)',
      }),
    z
      .object({
        kind: z.literal('categorical'),
        categories: z.array(z.string(), { error: 'a list of categories' }),
        shares,
        unseenShare: z.number({ error: 'a share from 0 to 1' }),
        nullShare: z.number({ error: 'a share from 0 to 1' }),
      })
      .refine((r) => r.shares.length === r.categories.length, { path: ['shares'], error: 'one share per category' }),
  ],
  { error: "a feature reference of kind 'numeric' or 'categorical'" },
);
const referenceProfile = z.object(
  {
    rows: z.number({ error: 'a row count' }),
    features: z
      .record(z.string(), featureReference, {
        error: 'the reference histograms of each feature ({ <feature>: { kind, … } })',
      })
      .refine((f) => Object.keys(f).length > 0, { error: 'the reference histograms of at least one feature' }),
  },
  { error: 'a reference profile { rows, features }' },
);

/** A stored reference the sensor can bin a window with; `where` names it (e.g. `reference`). */
export function checkReference(reference: unknown, where: string): ReferenceProfile {
  parse(referenceProfile, reference, where);
  return reference as ReferenceProfile;
}
