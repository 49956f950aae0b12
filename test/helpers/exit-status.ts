/**
 * Runs a shell command line and writes how it ended to a file: its exit status, or minus the number
 * of the signal that killed it (so a death by SIGINT never passes for `exit 130`). The terminal tests
 * read this file instead of tmux's pane status, which tmux 3.3a sometimes leaves empty.
 *   node --import tsx test/helpers/exit-status.ts <status file> <command line>
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';

const [file, line] = process.argv.slice(2) as [string, string];
// Ctrl-C reaches the whole foreground process group: it is the command's to handle, not this one's
process.on('SIGINT', () => {});
const child = spawn('sh', ['-c', line], { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  writeFileSync(file, String(code ?? -(signal ? constants.signals[signal] : 0)));
  process.exit(0);
});
