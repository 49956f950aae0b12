/**
 * model.ini, as h2o-genmodel's ModelMojoReader reads it: `[info]` key = value lines, `[columns]` one
 * name a line (predictors in model order, response last), `[domains]` `colIndex: nLevels dNNN.txt`.
 * Values are typed on read by the accessors, each of which names the key when a value is malformed.
 */
import { MojoError } from '../shared/errors';

export interface ModelIni {
  columns: string[];
  /** column index -> [number of levels, domain file name under domains/] */
  domainFiles: Map<number, { levels: number; file: string }>;
  has(key: string): boolean;
  text(key: string): string;
  optionalText(key: string): string | undefined;
  number(key: string): number;
  int(key: string): number;
  bool(key: string, fallback?: boolean): boolean;
  /** `[1.0, 2.5]` (Java's Arrays.toString); `null` reads as undefined */
  numbers(key: string): number[] | undefined;
}

export function parseModelIni(text: string, mojo: string): ModelIni {
  const info = new Map<string, string>();
  const columns: string[] = [];
  const domainFiles = new Map<number, { levels: number; file: string }>();
  let section = '';
  let nColumns = -1;
  const bad = (key: string, reason: string): never => {
    throw new MojoError(mojo, `model.ini ${key}`, reason);
  };
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '[info]' || line === '[columns]' || line === '[domains]') {
      section = line;
      if (section === '[columns]') {
        const n = info.get('n_columns');
        nColumns =
          n !== undefined && /^\d+$/.test(n)
            ? Number(n)
            : bad('n_columns', `${JSON.stringify(n ?? null)} is missing or not a count`);
      }
      continue;
    }
    if (section === '[info]') {
      const eq = line.indexOf('=');
      if (eq < 0) bad('[info]', `line ${JSON.stringify(line)} has no "="`);
      info.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    } else if (section === '[columns]') {
      if (columns.length >= nColumns) bad('n_columns', `${nColumns} is smaller than the [columns] list`);
      columns.push(line);
    } else if (section === '[domains]') {
      const m = /^(\d+):\s*(\d+) (\S+)$/.exec(line);
      if (!m) bad('[domains]', `line ${JSON.stringify(line)} is not "index: levels file"`);
      domainFiles.set(Number(m![1]), { levels: Number(m![2]), file: m![3]! });
    } else {
      bad('section', `line ${JSON.stringify(line)} is outside [info], [columns] and [domains]`);
    }
  }
  if (columns.length !== nColumns) bad('[columns]', `lists ${columns.length} columns, n_columns says ${nColumns}`);

  const raw = (key: string): string => info.get(key) ?? bad(key, 'is missing');
  const toNumber = (key: string, v: string): number => {
    const n = Number(v);
    return v !== '' && !Number.isNaN(n)
      ? n
      : v === 'NaN'
        ? Number.NaN
        : bad(key, `${JSON.stringify(v)} is not a number`);
  };
  return {
    columns,
    domainFiles,
    has: (key) => info.has(key) && info.get(key) !== 'null',
    text: raw,
    optionalText: (key) => {
      const v = info.get(key);
      return v === undefined || v === 'null' ? undefined : v;
    },
    number: (key) => toNumber(key, raw(key)),
    int(key) {
      const v = raw(key);
      return /^-?\d+$/.test(v) ? Number(v) : bad(key, `${JSON.stringify(v)} is not an integer`);
    },
    bool(key, fallback) {
      const v = info.get(key);
      if (v === undefined || v === 'null') return fallback ?? bad(key, 'is missing');
      return v === 'true' ? true : v === 'false' ? false : bad(key, `${JSON.stringify(v)} is not true or false`);
    },
    numbers(key) {
      const v = info.get(key);
      if (v === undefined || v === 'null') return undefined;
      if (!v.startsWith('[') || !v.endsWith(']')) bad(key, `${JSON.stringify(v.slice(0, 80))} is not an array`);
      const body = v.slice(1, -1).trim();
      return body === '' ? [] : body.split(',').map((x) => toNumber(key, x.trim()));
    },
  };
}

/** Domain file lines, unescaped as StringEscapeUtils.unescapeNewlines does when `escape_domain_values`. */
export function parseDomain(text: string, escaped: boolean): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return escaped ? lines.map(unescapeNewlines) : lines;
}

function unescapeNewlines(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  let slash = false;
  for (const c of s) {
    if (slash) {
      out += c === 'n' ? '\n' : c === 'r' ? '\r' : c;
      slash = false;
    } else if (c === '\\') slash = true;
    else out += c;
  }
  return out;
}
