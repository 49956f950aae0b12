/** What every local-stack component offers to `stack:up`, `stack:down` and `stack:status`. */
import type { Config } from '../config';
import type { StackPaths } from './process';

export interface StackContext {
  config: Config;
  paths: StackPaths;
  log: (line: string) => void;
}

export interface ComponentStatus {
  name: string;
  /** running: started by this stack and healthy; foreign: the port answers but not through our pid file */
  state: 'running' | 'stopped' | 'unhealthy' | 'foreign';
  address: string;
  version?: string;
  /** extra facts for `stack:status` (binary path, data folder) */
  detail?: string;
}

export interface StackComponent {
  name: string;
  /** Debian packages it needs that are not installed yet; `up` installs all components' at once (apt holds one lock). */
  missingPackages(ctx: StackContext): string[];
  /** Installs what is missing, starts, waits until healthy. A no-op when it already runs. */
  up(ctx: StackContext): Promise<void>;
  down(ctx: StackContext): Promise<void>;
  status(ctx: StackContext): Promise<ComponentStatus>;
}
