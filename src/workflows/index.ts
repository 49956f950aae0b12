/** Every workflow the worker serves (workflowsPath points here). One workflow per file. */
export { stackHealth } from './stack-health';
