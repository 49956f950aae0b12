/**
 * The operator CLI: `tsx src/cli/index.ts <command> [args]`, behind the npm scripts in package.json.
 * Parses, rejects unknown commands and arguments by name, and dispatches to one file per command.
 */
import { ConfigError, MojoError, StackError, ValidationError } from '../shared/errors';
import { printableLines } from './terminal-text';

export type Command = (args: string[]) => Promise<number>;

/** Lazy imports: each command loads only what it needs. MAINTENANCE: keep README's command list in sync. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: { summary: 'run the whole platform locally, end to end', load: async () => (await import('./demo')).demo },
  migrate: { summary: 'apply warehouse migrations', load: async () => (await import('./migrate')).migrateCommand },
  schedules: {
    summary: 'schedules apply: create/update the drift-sensor schedules of MODELS_CONFIG',
    load: async () => (await import('./schedules')).schedulesCommand,
  },
  ingest: {
    summary:
      'ingest <source> [--follow] | ingest --attach <workflow-id>: start an ingest run (and draw its pages and records)',
    load: async () => (await import('./ingest')).ingestCommand,
  },
  retrain: {
    summary:
      'retrain <model> [--follow] [--reason text] | retrain <model> --attach: start or join a retrain (and draw its training jobs)',
    load: async () => (await import('./retrain')).retrainCommand,
  },
  versions: {
    summary: "versions <model> [--json]: a model's versions with stage, metrics, lineage",
    load: async () => (await import('./versions')).versionsCommand,
  },
  rollback: {
    summary: 'rollback <model> --to <version> [--reason text]: re-deploy an earlier version as a new one',
    load: async () => (await import('./rollback')).rollbackCommand,
  },
  webhooks: {
    summary: 'webhooks deliveries [--failed] [--json] | attempts <id> | redeliver <id>: the webhook delivery log',
    load: async () => (await import('./webhooks')).webhooksCommand,
  },
  score: {
    summary: 'score --mojo <zip> --input <csv> --output <csv>: batch predictions, no JVM (PredictCsv columns)',
    load: async () => (await import('./score')).scoreCommand,
  },
  replay: {
    summary:
      'replay [--type <workflow type>] [--limit N]: replay closed runs against this code (exit 1 on nondeterminism)',
    load: async () => (await import('./replay')).replayCommand,
  },
  'version-check': {
    summary: 'check H2O and Temporal server versions (exit 0 ok, 1 mismatch or gated, 2 unreachable)',
    load: async () => (await import('./version-check')).versionCheckCommand,
  },
};

export function usage(): string {
  return [
    'usage: npx tsx src/cli/index.ts <command> [args]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`),
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new ValidationError('command', name, `unknown command; one of ${Object.keys(COMMANDS).join(', ')}`);
  return (await entry.load())(args);
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known =
        err instanceof ValidationError ||
        err instanceof ConfigError ||
        err instanceof StackError ||
        err instanceof MojoError;
      console.error(`error: ${printableLines(known ? (err as Error).message : ((err as Error).stack ?? String(err)))}`);
      process.exit(1);
    },
  );
}
