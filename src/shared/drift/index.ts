/** Drift statistics and sensor policy: pure functions, no I/O, workflow-safe. */
export * from './binning';
export * from './histogram';
export * from './psi';
export * from './chi-square';
export * from './reference';
export * from './verdict';
export * from './checks';
export * from './quantile-sketch';
export * from './feature-profile';
export * from './window-read';
