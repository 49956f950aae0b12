/**
 * `npm run temporal -- <args>`: the pinned `temporal` CLI (TEMPORAL_CLI_PATH, or the stack's cached
 * download, fetched when missing) against the configured server. The CLI reads the same TEMPORAL_*
 * variables and temporal.toml profiles as src/config.ts; the resolved address and namespace are
 * passed explicitly so its defaults (localhost:7233) can never point elsewhere than ours.
 * Every command the README and the demo print is written in this form, so it works as printed:
 * `temporal` itself is not on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { config } from '../config';
import { stackContext } from '../stack/cli';
import { temporalBinary } from '../stack/temporal';

/** How the project prints a `temporal` command: one that runs the pinned binary from the project folder. */
export function temporalHint(args: string): string {
  return `npm run temporal -- ${args}`;
}

/** Runs the pinned CLI with `args`, output to this terminal; returns its exit code. */
export function runTemporalCli(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const cfg = config();
  const binary = temporalBinary(stackContext((line) => console.error(`[temporal] ${line}`)));
  const result = spawnSync(binary, args, {
    stdio: 'inherit',
    env: { ...env, TEMPORAL_ADDRESS: cfg.temporal.address, TEMPORAL_NAMESPACE: cfg.temporal.namespace },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (require.main === module) {
  try {
    process.exit(runTemporalCli(process.argv.slice(2)));
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  }
}
