/**
 * Reads RUN bodies with a real shell grammar (tree-sitter-bash, run as WASM by web-tree-sitter) and
 * flattens the tree into the simple commands the rules reason about: their words with quotes removed,
 * the operator joining each to the one before, the pipeline it belongs to and its redirects. Commands
 * inside `$(...)`, backticks, `case` arms, `if`/`for`/`while` bodies and subshells are found too.
 * Nothing is expanded or evaluated.
 *
 * Why tree-sitter-bash: sh-syntax (mvdan/sh as WASM) parses well but hands back only each top-level
 * statement's position (its Go side maps every node to {Pos, End}), not the commands, words or pipes;
 * mvdan-sh (the GopherJS build) is archived. tree-sitter-bash is the grammar bash-language-server and
 * GitHub use, recovers from syntax errors (the commands it can read are still reported) and parses
 * synchronously once loaded.
 */
import { Language, Parser, type Node } from 'web-tree-sitter';

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
  /** which side of its pipe the command is on (0, 1, …): `(cd x && make) | tee` puts cd and make on side 0 */
  pipePart: number;
  /** `VAR=value` assignments written before the program (`PIP_NO_CACHE_DIR=1 pip install ...`) */
  assignments: string[];
  /** redirects as written (`>=1`, `2>&1`, `>/dev/null`): an unquoted `pkg>=1` is `pkg` plus one of these */
  redirects: string[];
}

/** Programs that run another command given as their arguments. */
const WRAPPERS = new Set(['sudo', 'env', 'exec', 'nice', 'nohup', 'time', 'command', 'xargs']);

/** Nodes whose named children are statements run one after the other. */
const SEQUENCES = new Set([
  'program',
  'compound_statement',
  'subshell',
  'do_group',
  'else_clause',
  'elif_clause',
  'case_item',
  'if_statement',
  'while_statement',
  'for_statement',
  'c_style_for_statement',
  'function_definition',
  'negated_command',
]);
const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);

let loading: Promise<Parser> | undefined;

/** The bash parser, loaded once (WASM instantiation is asynchronous; parsing afterwards is not). */
export function shellParser(): Promise<Parser> {
  loading ??= (async () => {
    await Parser.init();
    const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return loading;
}

/** The value of one word with the shell's quote removal applied; expansions stay as written (`$HOME`). */
export function wordValue(node: Node): string {
  switch (node.type) {
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'ansi_c_string':
      return node.text.slice(2, -1);
    case 'string':
      return node.text
        .slice(1, -1)
        .replace(/\\\n/g, '')
        .replace(/\\([$`"\\])/g, '$1');
    case 'translated_string':
      return node.text.slice(2, -1);
    case 'concatenation':
      return node.namedChildren.map((c) => (c ? wordValue(c) : '')).join('');
    case 'word':
      return node.text.replace(/\\\n/g, '').replace(/\\(.)/g, '$1');
    default:
      return node.text;
  }
}

const isAssignment = (w: string) => /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(w);

class Flattener {
  readonly commands: ShellCommand[] = [];
  private pending: ShellCommand['joinedBy'] = '';
  private nextPipeline = 0;
  /** the pipeline id commands get while walking one (undefined outside a pipeline) */
  private pipeline: number | undefined;
  private part = 0;

  statement(node: Node): void {
    if (SEQUENCES.has(node.type)) return this.sequence(node);
    switch (node.type) {
      case 'list':
        return this.list(node);
      case 'pipeline':
        return this.pipe(node.children.filter((c): c is Node => !!c));
      case 'redirected_statement':
        return this.redirected(node);
      case 'command':
        return this.command(node, []);
      case 'declaration_command':
      case 'unset_command':
        return this.simple(node);
      case 'case_statement': {
        this.substitutions(node.childForFieldName('value'));
        for (const item of node.namedChildren) if (item?.type === 'case_item') this.sequence(item, true);
        return;
      }
      default:
        return this.substitutions(node);
    }
  }

  /** Statements in order; `;`, `&` and newlines between them. case arms skip their patterns. */
  private sequence(node: Node, caseItem = false): void {
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        if (child.type === '&') this.pending = '&';
        else if (child.type === ';' || child.type === ';;' || child.type === '\n')
          this.pending = this.pending === '&' ? '&' : ';';
        continue;
      }
      if (caseItem && node.children.indexOf(child) < node.children.findIndex((c) => c?.type === ')')) continue;
      if (
        ['word', 'string', 'raw_string', 'concatenation', 'variable_name', 'comment'].includes(child.type) &&
        node.type !== 'program'
      ) {
        this.substitutions(child); // for x in $(...): the list words, not statements
        continue;
      }
      if (this.commands.length > 0 && this.pending === '') this.pending = ';';
      this.statement(child);
      if (this.pending !== '&') this.pending = ';';
    }
  }

  private list(node: Node): void {
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        if (child.type === '&&' || child.type === '||') this.pending = child.type;
        continue;
      }
      this.statement(child);
    }
  }

  private pipe(parts: Node[], head?: () => void): void {
    const outer = this.pipeline;
    const outerPart = this.part;
    const id = this.nextPipeline++;
    let side = 0;
    const run = (fn: () => void) => {
      this.pipeline = id;
      this.part = side++;
      fn();
    };
    if (head) run(head);
    for (const part of parts) {
      if (!part.isNamed) {
        if (part.type === '|' || part.type === '|&') this.pending = '|';
        continue;
      }
      run(() => this.statement(part));
    }
    this.pipeline = outer;
    this.part = outerPart;
  }

  private redirected(node: Node): void {
    const body = node.childForFieldName('body');
    const redirects = node.children.filter((c): c is Node => !!c && REDIRECTS.has(c.type));
    // `cat <<EOF | sh`: the grammar puts what follows the heredoc operator inside the redirect
    const after = redirects.flatMap((r) =>
      r.namedChildren.filter((c): c is Node => !!c && ['pipeline', 'list', 'command'].includes(c.type)),
    );
    const own = () => {
      if (body?.type === 'command') this.command(body, redirects);
      else if (body) this.statement(body);
    };
    const pipeAfter = after.find((a) => a.type === 'pipeline');
    if (pipeAfter)
      this.pipe(
        pipeAfter.children.filter((c): c is Node => !!c),
        own,
      );
    else {
      own();
      for (const a of after) {
        const op = a.children.find((c) => c && !c.isNamed && (c.type === '&&' || c.type === '||'));
        if (op) this.pending = op.type as '&&' | '||';
        this.list(a);
      }
    }
  }

  /** Commands inside `$(...)` and backticks anywhere below `node`, each in a pipeline of its own. */
  private substitutions(node: Node | null): void {
    if (!node) return;
    if (node.type === 'command_substitution' || node.type === 'process_substitution') {
      const outer = this.pipeline;
      const outerPart = this.part;
      this.pipeline = undefined;
      this.part = 0;
      const saved = this.pending;
      this.pending = this.commands.length ? ';' : '';
      for (const c of node.namedChildren) if (c) this.statement(c);
      this.pipeline = outer;
      this.part = outerPart;
      this.pending = saved;
      return;
    }
    for (const c of node.namedChildren) this.substitutions(c);
  }

  private command(node: Node, outerRedirects: Node[]): void {
    const assignments: string[] = [];
    const words: string[] = [];
    const redirects: string[] = [];
    const redirect = (r: Node) => {
      if (r.type !== 'file_redirect') return void redirects.push(r.text.split('\n')[0]!);
      // the grammar hangs the words after `>file` on the redirect: only the first is its target
      const targets = r.namedChildren.filter((c): c is Node => !!c && c.type !== 'file_descriptor');
      const target = targets[0];
      redirects.push(target ? r.text.slice(0, target.endIndex - r.startIndex) : r.text);
      for (const extra of targets.slice(1)) words.push(wordValue(extra));
    };
    for (const child of node.namedChildren) {
      if (!child) continue;
      this.substitutions(child);
      if (child.type === 'variable_assignment') assignments.push(wordValue(child));
      else if (REDIRECTS.has(child.type)) redirect(child);
      else if (child.type === 'command_name') words.push(wordValue(child.namedChildren[0] ?? child));
      else if (child.type !== 'comment') words.push(wordValue(child));
    }
    for (const r of outerRedirects) {
      this.substitutions(r);
      redirect(r);
    }
    this.emit(words, assignments, redirects);
  }

  /** `export A=$(...)`, `unset X`: the keyword is the program. */
  private simple(node: Node): void {
    this.substitutions(node);
    const [keyword, ...rest] = node.children.filter((c): c is Node => !!c && c.type !== 'comment');
    this.emit([keyword?.text ?? '', ...rest.map(wordValue)], [], []);
  }

  private emit(words: string[], assignments: string[], redirects: string[]): void {
    const program = [...words];
    const wrappers: string[] = [];
    while (program.length > 1 && WRAPPERS.has(program[0]!.replace(/^.*\//, ''))) {
      wrappers.push(program.shift()!.replace(/^.*\//, ''));
      // the wrapper's own options and env-style assignments
      while (program.length > 1 && (program[0]!.startsWith('-') || isAssignment(program[0]!))) {
        if (isAssignment(program[0]!)) assignments.push(program[0]!);
        program.shift();
      }
    }
    if (program.length === 0 || program[0] === '') return;
    const joinedBy = this.commands.length === 0 ? '' : this.pending || ';';
    const inPipe = this.pipeline !== undefined;
    const pipeline = this.pipeline ?? this.nextPipeline++;
    this.commands.push({
      argv: program,
      wrappers,
      joinedBy,
      pipeline,
      pipePart: inPipe ? this.part : 0,
      assignments,
      redirects,
    });
    this.pending = '';
  }
}

/** Splits shell text into simple commands in order, with the operators between them. */
export function flattenShell(parser: Parser, text: string): ShellCommand[] {
  const tree = parser.parse(text);
  if (!tree) return [];
  try {
    const flat = new Flattener();
    flat.statement(tree.rootNode);
    return flat.commands;
  } finally {
    tree.delete();
  }
}

/** Splits shell text into commands (loads the parser first). */
export async function parseShell(text: string): Promise<ShellCommand[]> {
  return flattenShell(await shellParser(), text);
}

/** A pipeline as `a | b | c`: the first program of each side. */
export function pipeText(pipeline: ShellCommand[]): string {
  const sides = new Map<number, string>();
  for (const c of pipeline) if (!sides.has(c.pipePart)) sides.set(c.pipePart, programName(c));
  return [...sides.values()].join(' | ');
}

/** The program name without its directory: `/usr/bin/curl` → `curl`. */
export function programName(command: ShellCommand): string {
  return command.argv[0]!.replace(/^.*\//, '');
}
