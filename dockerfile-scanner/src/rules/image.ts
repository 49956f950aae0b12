/** Rules about the image as a whole: base image tags, the user it runs as, health, ports, instructions. */
import { Add, Copy, Healthcheck, type Instruction, type Run } from 'dockerfile-ast';
import { at, shippedStages, type Rule, type ScanContext, type Stage } from '../types';

/** The stage a FROM refers to when it names an earlier stage's alias (after ARG substitution). */
function parentStage(_ctx: ScanContext, stage: Stage): Stage | undefined {
  return stage.parent;
}

/** How a finding names a stage's image: as written, and what the ARGs made of it when they changed it. */
function shown(stage: Stage): string {
  const written = stage.from.getImage() ?? '';
  return written === stage.image ? written : `${written} (${stage.image})`;
}

/** Splits `registry:5000/name:tag@digest` into its tag and digest. */
export function imageReference(image: string): { name: string; tag: string | undefined; digest: string | undefined } {
  const [beforeDigest, digest] = image.split('@') as [string, string | undefined];
  const slash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.lastIndexOf(':');
  const tag = colon > slash ? beforeDigest.slice(colon + 1) : undefined;
  return { name: colon > slash ? beforeDigest.slice(0, colon) : beforeDigest, tag: tag || undefined, digest };
}

/**
 * Base images that are not earlier stages or scratch. An image still holding a variable without a
 * default (set by --build-arg) is kept: its tag is judged when the tag itself is known.
 */
function baseImages(ctx: ScanContext): Array<{ stage: Stage; image: string }> {
  return ctx.stages
    .filter((stage) => !parentStage(ctx, stage))
    .map((stage) => ({ stage, image: stage.image }))
    .filter(
      ({ image }) =>
        image !== '' && image.toLowerCase() !== 'scratch' && !/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(image),
    );
}

const untaggedImage: Rule = {
  id: 'untagged-image',
  severity: 'warning',
  aliases: ['DL3006'],
  title: 'Base image without a tag',
  fix: 'Pin the base image to a version tag (node:22.21.1-bookworm-slim), or to a digest for full reproducibility.',
  check: (ctx) =>
    baseImages(ctx)
      .filter(({ image }) => {
        const ref = imageReference(image);
        return !ref.tag && !ref.digest && !image.endsWith('}');
      })
      .map(({ stage }) => at(stage.from, `FROM ${shown(stage)} has no tag, so every build may pull a different image`)),
};

const latestTag: Rule = {
  id: 'latest-tag',
  severity: 'warning',
  aliases: ['DL3007', 'DS001', 'CKV_DOCKER_7'],
  title: "Base image pinned to ':latest'",
  fix: "Replace ':latest' with a version tag; 'latest' moves whenever the publisher pushes.",
  check: (ctx) =>
    baseImages(ctx)
      .filter(({ image }) => {
        const ref = imageReference(image);
        return ref.tag === 'latest' && !ref.digest;
      })
      .map(({ stage }) => at(stage.from, `FROM ${shown(stage)} uses the moving 'latest' tag`)),
};

const rootUser: Rule = {
  id: 'root-user',
  severity: 'warning',
  aliases: ['DL3002', 'DS002', 'CKV_DOCKER_3', 'CKV_DOCKER_8'],
  title: 'The image runs as root',
  fix: "Create an unprivileged user (or use the base image's, e.g. `node`) and end the final stage with `USER <name>`.",
  check(ctx) {
    const lineage = shippedStages(ctx);
    if (lineage.length === 0) return [];
    const users = lineage.flatMap((s) => s.instructions).filter((i) => i.getKeyword() === 'USER');
    const last = users[users.length - 1];
    if (!last)
      return [at(lineage[lineage.length - 1]!.from, 'the final stage sets no USER, so the container runs as root')];
    const user = (last.getArgumentsContent() ?? '').trim().split(':')[0]!;
    return user === 'root' || user === '0' ? [at(last, `the last USER is ${user}, so the container runs as root`)] : [];
  },
};

const missingHealthcheck: Rule = {
  id: 'missing-healthcheck',
  severity: 'info',
  aliases: ['DL3057', 'DS026', 'CKV_DOCKER_2'],
  title: 'No HEALTHCHECK in the final image',
  fix: 'Add `HEALTHCHECK CMD ...` that probes the service (or `HEALTHCHECK NONE` to say it is deliberate).',
  check(ctx) {
    const lineage = shippedStages(ctx);
    if (lineage.length === 0) return [];
    const has = lineage.some((s) => s.instructions.some((i) => i instanceof Healthcheck));
    return has
      ? []
      : [
          at(
            lineage[lineage.length - 1]!.from,
            'the final image has no HEALTHCHECK, so orchestrators cannot tell a hung container from a healthy one',
          ),
        ];
  },
};

const exposeSsh: Rule = {
  id: 'expose-ssh',
  severity: 'error',
  aliases: ['DS004', 'CKV_DOCKER_1'],
  title: 'Port 22 (SSH) exposed',
  fix: 'Do not run sshd in a container; use `docker exec` for access and remove EXPOSE 22.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.getKeyword() === 'EXPOSE' && i.getArguments().some((a) => /^22(\/tcp)?$/i.test(a.getValue())))
      .map((i) => at(i, 'EXPOSE 22 publishes SSH')),
};

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/i;
const URL = /^[a-z]+:\/\//i;

function sources(instruction: Add | Copy): string[] {
  // the last argument is the destination; flags (--chown, --from) are not arguments here
  const args = instruction.getArguments().map((a) => a.getValue());
  return args.slice(0, -1);
}

const addInsteadOfCopy: Rule = {
  id: 'add-instead-of-copy',
  severity: 'error',
  aliases: ['DL3020', 'DS005', 'CKV_DOCKER_4'],
  title: 'ADD used where COPY serves',
  fix: 'Use COPY for local files and folders; keep ADD only to unpack a local tar archive.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i): i is Add => i instanceof Add)
      .filter((i) => sources(i).some((src) => !URL.test(src) && !ARCHIVE.test(src) && !src.startsWith('git@')))
      .map((i) =>
        at(
          i,
          `ADD ${sources(i).join(' ')} copies plain files: ADD also unpacks archives and fetches URLs, which COPY makes explicit`,
        ),
      ),
};

const addUrlUnverified: Rule = {
  id: 'add-url-unverified',
  severity: 'info',
  aliases: [],
  title: 'ADD of a URL without a checksum',
  fix: 'Add `--checksum=sha256:<hex>` to the ADD, or download with curl and verify with sha256sum.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i): i is Add => i instanceof Add)
      .filter((i) => sources(i).some((src) => URL.test(src)) && !i.getFlags().some((f) => f.getName() === 'checksum'))
      .map((i) => at(i, `ADD fetches ${sources(i).find((s) => URL.test(s))} without verifying what it got`)),
};

const SECRET_FILE =
  /(^|\/)(\.env(\.(?!example$|sample$|template$|dist$)[\w-]+)?|id_rsa|id_ed25519|id_ecdsa|\.npmrc|\.pypirc|\.netrc|\.git-credentials|credentials(\.json)?|\.aws|\.ssh|\.docker\/config\.json|[^/]*\.(pem|key|p12|pfx|keystore|jks))\/?$/i;

const secretFileCopied: Rule = {
  id: 'secret-file-copied',
  severity: 'error',
  aliases: ['DS031'],
  title: 'A credentials file copied into the image',
  fix: 'Keep credentials out of the image: pass them at build time with `RUN --mount=type=secret,id=...` and at run time as mounted secrets.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i): i is Add | Copy => i instanceof Add || i instanceof Copy)
      .flatMap((i) =>
        sources(i)
          .filter((src) => SECRET_FILE.test(src))
          .map((src) =>
            at(
              i,
              `${i.getKeyword()} ${src} puts a credentials file into an image layer, where it stays even if deleted later`,
            ),
          ),
      ),
};

const shellFormCmd: Rule = {
  id: 'shell-form-cmd',
  severity: 'warning',
  aliases: ['DL3025'],
  title: 'CMD/ENTRYPOINT in shell form',
  fix: 'Write CMD and ENTRYPOINT as JSON arrays (["node", "dist/main.js"]) so the process is PID 1 and receives SIGTERM.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter(
        (i) =>
          (i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT') &&
          (i as unknown as { getJSONStrings(): unknown[] }).getJSONStrings().length === 0 &&
          i.getArguments().length > 0,
      )
      .map((i) =>
        at(
          i,
          `${i.getKeyword()} ${i.getArgumentsContent()} runs under /bin/sh -c, which does not forward SIGTERM to the process`,
        ),
      ),
};

function duplicates(id: string, keyword: string, severity: Rule['severity'], aliases: string[]): Rule {
  return {
    id,
    severity,
    aliases,
    title: `More than one ${keyword} in a stage`,
    fix: `Keep one ${keyword} per stage: only the last one takes effect.`,
    check: (ctx) =>
      ctx.stages
        .flatMap((s) => s.instructions.filter((i) => i.getKeyword() === keyword).slice(1))
        .map((i: Instruction) => at(i, `a second ${keyword} in the same stage overrides the first`)),
  };
}

const maintainer: Rule = {
  id: 'maintainer-deprecated',
  severity: 'error',
  aliases: ['DL4000', 'DS022'],
  title: 'MAINTAINER is deprecated',
  fix: 'Use `LABEL org.opencontainers.image.authors="..."` instead.',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.getKeyword() === 'MAINTAINER')
      .map((i) => at(i, 'MAINTAINER is deprecated')),
};

const relativeWorkdir: Rule = {
  id: 'relative-workdir',
  severity: 'error',
  aliases: ['DL3000', 'DS009', 'CKV_DOCKER_10'],
  title: 'WORKDIR is relative',
  fix: 'Use an absolute path in WORKDIR (WORKDIR /app).',
  check: (ctx) =>
    ctx.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.getKeyword() === 'WORKDIR')
      .filter((i) => {
        const dir = (i.getArgumentsContent() ?? '').trim().replace(/^["']|["']$/g, '');
        return !dir.startsWith('/') && !dir.startsWith('$') && !/^[A-Za-z]:[\\/]/.test(dir);
      })
      .map((i) => at(i, `WORKDIR ${i.getArgumentsContent()} depends on the previous WORKDIR`)),
};

const fromPlatform: Rule = {
  id: 'from-platform',
  severity: 'warning',
  aliases: ['DL3029'],
  title: 'FROM --platform with a fixed platform',
  fix: 'Drop --platform and let the builder choose (`docker build --platform ...`), or use `--platform=$BUILDPLATFORM` for cross-compiling stages.',
  check: (ctx) =>
    ctx.stages
      .map((s) => ({ s, platform: s.from.getPlatformFlag()?.getValue() ?? undefined }))
      .filter(({ platform }) => platform !== undefined && !/BUILDPLATFORM|TARGETPLATFORM/.test(platform))
      .map(({ s, platform }) =>
        at(s.from, `FROM --platform=${platform} builds this stage for one platform whatever the build asks for`),
      ),
};

/** true when a stage, or one it builds on, sets a WORKDIR anywhere. */
const setsWorkdir = (stage: Stage): boolean =>
  stage.instructions.some((i) => i.getKeyword() === 'WORKDIR') || (!!stage.parent && setsWorkdir(stage.parent));

/** true when a WORKDIR is in force at `instruction`. */
function hasWorkdirBefore(stage: Stage, instruction: Instruction): boolean {
  return (
    stage.instructions.slice(0, stage.instructions.indexOf(instruction)).some((i) => i.getKeyword() === 'WORKDIR') ||
    (!!stage.parent && setsWorkdir(stage.parent))
  );
}

const copyRelative: Rule = {
  id: 'copy-relative-dest',
  severity: 'warning',
  aliases: ['DL3045'],
  title: 'COPY to a relative destination without WORKDIR',
  fix: 'Set `WORKDIR /app` before the COPY, or copy to an absolute path.',
  check: (ctx) =>
    ctx.stages.flatMap((stage) =>
      stage.instructions
        .filter((i): i is Copy => i instanceof Copy)
        .filter((i) => {
          const args = i.getArguments().map((a) => a.getValue());
          const dest = (args[args.length - 1] ?? '').replace(/^["']|["']$/g, '');
          return (
            args.length >= 2 &&
            !dest.startsWith('/') &&
            !dest.startsWith('$') &&
            !/^[A-Za-z]:/.test(dest) &&
            !hasWorkdirBefore(stage, i)
          );
        })
        .map((i) => {
          const args = i.getArguments();
          return at(
            i,
            `COPY to ${args[args.length - 1]!.getValue()} lands in whatever directory the base image left as WORKDIR`,
          );
        }),
    ),
};

/** The flags of a RUN as written (`--mount=...`), for comparing two RUNs. */
const runFlags = (i: Instruction) =>
  (i as Run)
    .getFlags()
    .map((f) => `${f.getName()}=${f.getValue() ?? ''}`)
    .sort()
    .join(' ');

const consecutiveRuns: Rule = {
  id: 'consecutive-runs',
  severity: 'info',
  aliases: ['DL3059'],
  title: 'Single-command RUNs one after another',
  fix: 'Join consecutive short RUNs with `&&` into one: each RUN is a layer.',
  // hadolint's measure, as it behaves: two single-command RUNs in a row with the same flags
  check: (ctx) =>
    ctx.stages.flatMap((stage) =>
      stage.runs
        .filter((run, n) => {
          const previous = stage.runs[n - 1];
          if (!previous) return false;
          const between = stage.instructions.indexOf(run.placed) - stage.instructions.indexOf(previous.placed);
          return (
            between === 1 &&
            !run.onbuild &&
            !previous.onbuild &&
            run.commands.length === 1 &&
            previous.commands.length === 1 &&
            runFlags(run.instruction) === runFlags(previous.instruction)
          );
        })
        .map((run) => at(run.instruction, 'this RUN follows another single-command RUN, adding a layer')),
    ),
};

export const imageRules: Rule[] = [
  untaggedImage,
  latestTag,
  rootUser,
  missingHealthcheck,
  exposeSsh,
  addInsteadOfCopy,
  addUrlUnverified,
  secretFileCopied,
  shellFormCmd,
  duplicates('multiple-cmd', 'CMD', 'warning', ['DL4003', 'DS016']),
  duplicates('multiple-entrypoint', 'ENTRYPOINT', 'error', ['DL4004', 'DS007']),
  duplicates('multiple-healthcheck', 'HEALTHCHECK', 'error', ['DL3012', 'DS023']),
  maintainer,
  relativeWorkdir,
  fromPlatform,
  copyRelative,
  consecutiveRuns,
];
