/**
 * Where a scorer thread's code is: the compiled .js beside the caller, or under tsx (tests, `npm run
 * serve`) the .ts with tsx's CommonJS hook required first, since Node 20 cannot load a .ts worker and
 * its `--import tsx` hooks do not reach worker threads. Passing the hook as the thread's execArgv
 * writes no file (the pool used to write a shim to a shared temporary folder).
 */
import { extname, join } from 'node:path';

export interface ThreadEntry {
  filename: string;
  /** the thread's Node options: tsx's hook when the entry is TypeScript, else inherited */
  execArgv?: string[];
}

/** The module `base` (no extension) in the caller's folder: pass the caller's `__dirname` and `__filename`. */
export function threadEntry(dir: string, callerFile: string, base: string): ThreadEntry {
  const ext = extname(callerFile);
  const filename = join(dir, `${base}${ext}`);
  return ext === '.ts' ? { filename, execArgv: ['--require', require.resolve('tsx/cjs')] } : { filename };
}
