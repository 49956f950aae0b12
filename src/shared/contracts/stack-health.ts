/** The contract of stackHealth (src/workflows/stack-health.ts): what the health activities report and the workflow returns. */

export const STACK_HEALTH = 'stackHealth';

export interface ComponentHealth {
  component: 'postgres' | 'redis' | 'h2o';
  version: string;
  address: string;
}

/** The H2O cloud as the health check found it: complete, agreed and locked (otherwise the check fails). */
export interface H2OCloudHealth {
  name: string;
  size: number;
  expected: number;
  locked: boolean;
  nodes: string[];
  message: string;
}

export interface StackHealthInput {
  /** free text shown in the history, e.g. who asked */
  requestedBy?: string;
}

export interface StackHealthOutput {
  components: ComponentHealth[];
  h2oVersionOk: boolean;
  /** the H2O cloud: checkH2O fails unless it is complete (H2O_NODES), agreed and locked */
  h2oCloud: H2OCloudHealth;
}

export type StackHealthWorkflow = (input?: StackHealthInput) => Promise<StackHealthOutput>;
