import { join } from 'node:path';
import { loadConfig } from '../../src/config';

/** The workflow bundle global-setup writes once per test run. */
export function testBundlePath(): string {
  return join(loadConfig().stack.stateDir, 'test', 'workflow-bundle.js');
}
