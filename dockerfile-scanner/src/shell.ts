/**
 * A small POSIX-shell lexer for RUN bodies: enough to find commands, their arguments and the
 * pipelines between them, honouring quotes, escapes and `$(...)`, so rules reason about commands
 * instead of matching text. It does not expand variables or evaluate anything.
 */

/** One simple command: `apt-get install -y curl`. */
export interface ShellCommand {
  /** words with quotes removed; leading `VAR=value` assignments and wrappers (sudo, env, …) are dropped */
  argv: string[];
  /** wrapper programs that ran the command, e.g. ['sudo'] for `sudo chmod ...` */
  wrappers: string[];
  /** the operator that joined this command to the previous one ('' for the first) */
  joinedBy: '' | '&&' | '||' | ';' | '|' | '&';
  /** index of the pipeline this command belongs to; commands joined by `|` share it */
  pipeline: number;
}

type Token = { kind: 'word'; value: string } | { kind: 'op'; value: ShellCommand['joinedBy'] | 'newline' };

/** Programs that run another command given as their arguments. */
const WRAPPERS = new Set(['sudo', 'env', 'exec', 'nice', 'nohup', 'time', 'command']);

const OPERATORS = ['&&', '||', ';;', '|&', '|', ';', '&', '\n'] as const;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push({ kind: 'word', value: word });
    word = '';
    inWord = false;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      // backslash-newline is a continuation; otherwise the next character is literal
      if (text[i + 1] === '\n') i += 2;
      else {
        word += text[i + 1] ?? '';
        inWord = true;
        i += 2;
      }
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end;
      word += text.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) {
          word += text[i + 1];
          i += 2;
        } else word += text[i++];
      }
      inWord = true;
      i++;
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      // command substitution: kept inside the word, balanced on parentheses
      let depth = 0;
      const start = i;
      for (; i < text.length; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) break;
      }
      word += text.slice(start, i + 1);
      inWord = true;
      i++;
      continue;
    }
    if (c === '#' && !inWord) {
      // a comment runs to the end of the line
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      flush();
      tokens.push({ kind: 'op', value: op === '\n' ? 'newline' : op === '|&' ? '|' : op === ';;' ? ';' : op });
      i += op.length;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  flush();
  return tokens;
}

/** Splits shell text into simple commands in order, with the operators between them. */
export function parseShell(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let argv: string[] = [];
  let joinedBy: ShellCommand['joinedBy'] = '';
  let pipeline = 0;
  const end = (next: ShellCommand['joinedBy']) => {
    // drop leading assignments (FOO=bar cmd) and grouping words so argv[0] is the program
    const words = argv.filter((w, i) => !(argv.slice(0, i + 1).every((x) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(x))));
    const program = words.filter((w) => !['(', ')', '{', '}', '!', 'then', 'do', 'else', 'if', 'while', 'until'].includes(w));
    const wrappers: string[] = [];
    while (program.length > 1 && WRAPPERS.has(program[0]!.replace(/^.*\//, ''))) {
      wrappers.push(program.shift()!.replace(/^.*\//, ''));
      // the wrapper's own options and env-style assignments
      while (program.length > 1 && (program[0]!.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(program[0]!))) program.shift();
    }
    if (program.length > 0) {
      commands.push({ argv: program, wrappers, joinedBy, pipeline });
      joinedBy = next;
      if (next !== '|') pipeline++;
    } else if (next !== '|') joinedBy = next === '' ? joinedBy : next;
    argv = [];
  };
  for (const token of tokenize(text)) {
    if (token.kind === 'word') argv.push(token.value);
    else end(token.value === 'newline' ? ';' : token.value);
  }
  end('');
  return commands;
}

/** The program name without its directory: `/usr/bin/curl` → `curl`. */
export function programName(command: ShellCommand): string {
  return command.argv[0]!.replace(/^.*\//, '');
}
