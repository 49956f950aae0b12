/**
 * ARG substitution as Docker does it in FROM: `$VAR`, `${VAR}`, `${VAR:-default}` / `${VAR-default}` and
 * `${VAR:+alternative}` / `${VAR+alternative}`, with the ARGs declared before the first FROM. A variable
 * without a value (a `--build-arg` may set it) is left as written, so a message never shows half an image name.
 */
export interface Substituted {
  text: string;
  /** names left as written because no default is known */
  unresolved: string[];
}

const REFERENCE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function substitute(text: string, vars: ReadonlyMap<string, string | null>): Substituted {
  const unresolved: string[] = [];
  const out = text.replace(
    REFERENCE,
    (whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const declared = vars.has(name);
      const value = vars.get(name) ?? null;
      const empty = value === null || value === '';
      switch (op) {
        case ':-':
          return empty ? (word ?? '') : value;
        case '-':
          return declared && value !== null ? value : (word ?? '');
        case ':+':
          return empty ? '' : (word ?? '');
        case '+':
          return declared && value !== null ? (word ?? '') : '';
        default:
          if (value !== null) return value;
          unresolved.push(name);
          return whole;
      }
    },
  );
  return { text: out, unresolved };
}
