/**
 * `npm run scan -- [options] <Dockerfile|dir>...`: lints Dockerfiles and exits non-zero when a finding
 * is at or above the failure threshold (default `warning`: info and style findings are advice).
 *
 *   --format text|json|sarif        report format (default text)
 *   --failure-threshold LEVEL       error|warning|info|style|none (default warning; none = never fail)
 *   --no-fail                       always exit 0 (same as --failure-threshold none)
 *   --ignore RULE[,RULE]            skip rules everywhere (ids or hadolint/Trivy aliases; `shellcheck` skips ShellCheck)
 *   --output FILE                   write the report to FILE instead of stdout
 *   --list-rules                    print the rules and exit
 *
 * Exit codes: 0 clean (or below the threshold), 1 findings at/above it, 2 usage error or unreadable file.
 * A directory is searched recursively (not into node_modules or dot-folders other than .devcontainer) for
 * Dockerfile, Containerfile, Dockerfile.*, Dockerfile-*, *.Dockerfile and *.dockerfile (any case, dotfiles
 * such as .gitpod.Dockerfile included; *.dockerignore files excluded).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScanUsageError } from './errors';
import { FORMATS, formatReports, type FileReport, type Format } from './format';
import { RULES } from './rules';
import { scanDockerfile } from './scan';
import { atOrAbove, SEVERITIES, type Severity } from './types';

export interface ScanCliOptions {
  paths: string[];
  format: Format;
  /** undefined = never fail */
  failureThreshold: Severity | undefined;
  ignore: string[];
  output: string | undefined;
  listRules: boolean;
}

export function parseScanArgs(args: string[]): ScanCliOptions {
  const options: ScanCliOptions = {
    paths: [],
    format: 'text',
    failureThreshold: 'warning',
    ignore: [],
    output: undefined,
    listRules: false,
  };
  let noFail = false;
  let thresholdGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new ScanUsageError(flag, v, 'a value after the flag');
      return v;
    };
    switch (flag) {
      case '--format':
      case '-f': {
        const v = value();
        if (!(FORMATS as readonly string[]).includes(v))
          throw new ScanUsageError('--format', v, `one of ${FORMATS.join(', ')}`);
        options.format = v as Format;
        break;
      }
      case '--failure-threshold':
      case '-t': {
        const v = value().toLowerCase();
        if (v !== 'none' && !(SEVERITIES as readonly string[]).includes(v))
          throw new ScanUsageError('--failure-threshold', v, `one of ${SEVERITIES.join(', ')}, none`);
        options.failureThreshold = v === 'none' ? undefined : (v as Severity);
        thresholdGiven = true;
        break;
      }
      case '--no-fail':
        noFail = true;
        break;
      case '--ignore':
        options.ignore.push(
          ...value()
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
        break;
      case '--output':
      case '-o':
        options.output = value();
        break;
      case '--list-rules':
        options.listRules = true;
        break;
      default:
        if (arg.startsWith('-'))
          throw new ScanUsageError(
            'argument',
            arg,
            'an option of `scan` (--format, --failure-threshold, --no-fail, --ignore, --output, --list-rules) or a path',
          );
        options.paths.push(arg);
    }
  }
  if (noFail && thresholdGiven && options.failureThreshold !== undefined)
    throw new ScanUsageError('--no-fail', 'with --failure-threshold', 'use one of the two');
  if (noFail) options.failureThreshold = undefined;
  const known = new Set(RULES.flatMap((r) => [r.id, ...r.aliases].map((id) => id.toLowerCase())));
  const unknown = options.ignore.find((id) => !known.has(id.toLowerCase()));
  if (unknown) throw new ScanUsageError('--ignore', unknown, 'a rule id or alias (see --list-rules)');
  if (!options.listRules && options.paths.length === 0)
    throw new ScanUsageError('paths', '', 'at least one Dockerfile or directory');
  return options;
}

/** Dockerfile names, matched without regard to case: Docker, Compose and editors accept them all. */
const DOCKERFILE_NAME = /^(\.?[\w.-]*\.)?(dockerfile|containerfile)([.-][\w.-]+)?$/i;
/** Names that match but are not Dockerfiles: per-Dockerfile ignore files, docs, editor leftovers. */
const NOT_DOCKERFILE = /\.(dockerignore|md|txt|orig|rej|bak|swp)$/i;
/** Dot-folders that hold Dockerfiles by convention. */
const DOT_FOLDERS = new Set(['.devcontainer']);

export function isDockerfileName(name: string): boolean {
  return DOCKERFILE_NAME.test(name) && !NOT_DOCKERFILE.test(name);
}

/** Dockerfiles named by `paths`: files as given, directories searched. */
export function findDockerfiles(paths: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && (!entry.name.startsWith('.') || DOT_FOLDERS.has(entry.name))) walk(path);
      } else if (entry.isFile() && isDockerfileName(entry.name)) found.push(path);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new ScanUsageError('path', p, 'an existing Dockerfile or directory');
    if (statSync(p).isDirectory()) walk(p);
    else found.push(p);
  }
  return [...new Set(found)].sort();
}

export function listRules(): string {
  return RULES.map(
    (r) =>
      `${r.id.padEnd(24)} ${r.severity.padEnd(8)} ${r.title}${r.aliases.length ? ` (${r.aliases.join(', ')})` : ''}`,
  ).join('\n');
}

/** Runs the command; resolves to the exit code. */
export async function runScan(
  args: string[],
  write: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
): Promise<number> {
  const options = parseScanArgs(args);
  if (options.listRules) {
    write(listRules());
    return 0;
  }
  const reports: FileReport[] = [];
  for (const path of findDockerfiles(options.paths)) {
    const file = relative(process.cwd(), path) || path;
    reports.push({
      file,
      findings: await scanDockerfile(file, readFileSync(path, 'utf8'), { ignore: options.ignore }),
    });
  }
  if (reports.length === 0)
    throw new ScanUsageError('paths', options.paths.join(' '), 'paths that contain at least one Dockerfile');
  const text = formatReports(options.format, reports);
  if (options.output) writeFileSync(options.output, `${text}\n`);
  else write(text);
  const threshold = options.failureThreshold;
  const failing =
    threshold === undefined
      ? 0
      : reports.reduce((n, r) => n + r.findings.filter((f) => atOrAbove(f.severity, threshold)).length, 0);
  return failing > 0 ? 1 : 0;
}

if (require.main === module) {
  runScan(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`error: ${err instanceof ScanUsageError ? err.message : ((err as Error).stack ?? String(err))}`);
      process.exitCode = 2;
    },
  );
}
