/** The shell lexer the RUN rules rely on: commands, operators and pipelines, honouring quotes. */
import { describe, expect, it } from 'vitest';
import { parseShell } from '../src/shell';

describe('parseShell', () => {
  it('splits commands on && || ; and newlines, and groups pipelines', () => {
    const cmds = parseShell('apt-get update && apt-get install -y curl | tee log; echo done || true');
    expect(cmds.map((c) => [c.argv[0], c.joinedBy, c.pipeline])).toEqual([
      ['apt-get', '', 0], ['apt-get', '&&', 1], ['tee', '|', 1], ['echo', ';', 2], ['true', '||', 3],
    ]);
  });

  it('keeps quoted operators inside words', () => {
    const cmds = parseShell(`echo 'a | b' "c && d" e\\;f`);
    expect(cmds).toHaveLength(1);
    expect(cmds[0]!.argv).toEqual(['echo', 'a | b', 'c && d', 'e;f']);
  });

  it('joins backslash continuations and drops comments', () => {
    const cmds = parseShell('apt-get install \\\n  -y curl # the client\nrm -rf /var/lib/apt/lists/*');
    expect(cmds.map((c) => c.argv)).toEqual([['apt-get', 'install', '-y', 'curl'], ['rm', '-rf', '/var/lib/apt/lists/*']]);
  });

  it('strips assignments and wrappers, remembering the wrappers', () => {
    const [cmd] = parseShell('DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y x');
    expect(cmd!.argv.slice(0, 2)).toEqual(['apt-get', 'install']);
    expect(cmd!.wrappers).toEqual(['sudo']);
  });

  it('keeps $(...) as part of a word, so a pipe inside it is not a pipeline', () => {
    const cmds = parseShell('export V=$(cat /x | head -1) && echo "$V"');
    expect(cmds.map((c) => c.argv[0])).toEqual(['export', 'echo']);
    expect(new Set(cmds.map((c) => c.pipeline)).size).toBe(2);
  });
});
