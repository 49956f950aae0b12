/** The shell lexer the RUN rules rely on: commands, operators and pipelines, honouring quotes. */
import { describe, expect, it } from 'vitest';
import { parseShell, pipeText } from '../src/shell';

describe('parseShell', () => {
  it('splits commands on && || ; and newlines, and groups pipelines', async () => {
    const cmds = await parseShell('apt-get update && apt-get install -y curl | tee log; echo done || true');
    expect(cmds.map((c) => [c.argv[0], c.joinedBy, c.pipeline])).toEqual([
      ['apt-get', '', 0],
      ['apt-get', '&&', 1],
      ['tee', '|', 1],
      ['echo', ';', 2],
      ['true', '||', 3],
    ]);
  });

  it('keeps quoted operators inside words', async () => {
    const cmds = await parseShell(`echo 'a | b' "c && d" e\\;f`);
    expect(cmds).toHaveLength(1);
    expect(cmds[0]!.argv).toEqual(['echo', 'a | b', 'c && d', 'e;f']);
  });

  it('joins backslash continuations and drops comments', async () => {
    const cmds = await parseShell('apt-get install \\\n  -y curl # the client\nrm -rf /var/lib/apt/lists/*');
    expect(cmds.map((c) => c.argv)).toEqual([
      ['apt-get', 'install', '-y', 'curl'],
      ['rm', '-rf', '/var/lib/apt/lists/*'],
    ]);
  });

  it('strips assignments and wrappers, remembering the wrappers', async () => {
    const [cmd] = await parseShell('DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y x');
    expect(cmd!.argv.slice(0, 2)).toEqual(['apt-get', 'install']);
    expect(cmd!.wrappers).toEqual(['sudo']);
  });

  it('finds the commands inside $(...) and backticks, each pipeline on its own', async () => {
    const cmds = await parseShell('export V=$(cat /x | head -1) && echo "$V" `uname -m | tr a-z A-Z`');
    expect(cmds.map((c) => c.argv[0])).toEqual(['cat', 'head', 'export', 'uname', 'tr', 'echo']);
    const pipeline = (name: string) => cmds.find((c) => c.argv[0] === name)!.pipeline;
    expect(pipeline('cat')).toBe(pipeline('head'));
    expect(pipeline('uname')).toBe(pipeline('tr'));
    expect(new Set([pipeline('cat'), pipeline('export'), pipeline('uname'), pipeline('echo')]).size).toBe(4);
  });

  it('reads case patterns as patterns, not pipes', async () => {
    const cmds = await parseShell(
      'case "$(uname -m)" in x86_64|amd64) A=x64 ;; aarch64) A=arm64 ;; *) exit 1 ;; esac; echo "$A"',
    );
    expect(cmds.map((c) => c.argv[0])).toEqual(['uname', 'exit', 'echo']);
    expect(cmds.some((c) => c.joinedBy === '|')).toBe(false);
  });

  it('reads an unquoted `pkg>=1` as the shell does: the word pkg and a redirect to a file named =1', async () => {
    const [cmd] = await parseShell('pip install pkg>=1 "other>=2"');
    expect(cmd!.argv).toEqual(['pip', 'install', 'pkg', 'other>=2']);
    expect(cmd!.redirects).toEqual(['>=1']);
  });

  it('knows which side of a pipe a command in a subshell is on', async () => {
    const cmds = await parseShell('(cd /x && make) | tee log');
    expect(cmds.map((c) => [c.argv[0], c.pipePart])).toEqual([
      ['cd', 0],
      ['make', 0],
      ['tee', 1],
    ]);
    expect(new Set(cmds.map((c) => c.pipeline)).size).toBe(1);
    expect(pipeText(cmds)).toBe('cd | tee');
  });

  it('follows a here-document into the pipe after it', async () => {
    const cmds = await parseShell('cat <<EOF | sh\necho hi\nEOF\n');
    expect(cmds.map((c) => [c.argv[0], c.joinedBy])).toEqual([
      ['cat', ''],
      ['sh', '|'],
    ]);
    expect(cmds[0]!.pipeline).toBe(cmds[1]!.pipeline);
  });

  it('keeps going after a syntax error, reporting the commands it could read', async () => {
    const cmds = await parseShell('apt-get install -y curl && ( echo unclosed');
    expect(cmds[0]!.argv).toEqual(['apt-get', 'install', '-y', 'curl']);
  });
});
