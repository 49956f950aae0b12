/**
 * Inverse link functions, each copied in behaviour from the h2o-genmodel code that applies it: GBM's
 * (GbmMojoModel.linkInv: exp capped at 1e19) and GLM's (GenModel.GLM_*Inv: plain exp) differ, so they
 * are two tables, never one.
 */

export type InverseLink = (f: number) => number;

/** GbmMojoModel.linkInv; `null` for links a GBM MOJO may name that the scorer refuses. */
export function gbmInverseLink(link: string): InverseLink | null {
  switch (link) {
    case 'identity':
      return (f) => f;
    case 'log':
      return (f) => Math.min(1e19, Math.exp(f));
    case 'logit':
      return (f) => 1 / (1 + Math.min(1e19, Math.exp(-f)));
    case 'inverse':
      return (f) => 1.0 / (f < 0 ? Math.min(-1e-5, f) : Math.max(-1e-5, f));
    default:
      return null;
  }
}

/** GenModel.GLM_*Inv; `null` for links the scorer refuses (the ordinal ones). */
export function glmInverseLink(link: string, tweedieLinkPower: number): InverseLink | null {
  switch (link) {
    case 'identity':
      return (x) => x;
    case 'logit':
      return (x) => 1.0 / (Math.exp(-x) + 1.0);
    case 'log':
      return (x) => Math.exp(x);
    case 'inverse':
      return (x) => 1.0 / (x < 0 ? Math.min(-1e-5, x) : Math.max(1e-5, x));
    case 'tweedie':
      return tweedieLinkPower === 0 ? (x) => Math.max(2e-16, Math.exp(x)) : (x) => Math.pow(x, 1.0 / tweedieLinkPower);
    default:
      return null;
  }
}

/** ModelMojoReader.defaultLinkFunction: the link of GBM MOJOs that do not write `link_function`. */
export function defaultGbmLink(distribution: string): string {
  if (['bernoulli', 'fractionalbinomial', 'quasibinomial', 'modified_huber', 'ordinal'].includes(distribution))
    return 'logit';
  if (['multinomial', 'poisson', 'gamma', 'tweedie'].includes(distribution)) return 'log';
  return 'identity';
}
