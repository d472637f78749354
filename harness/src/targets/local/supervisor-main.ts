// Entry of the detached supervisor process started by `aigos-harness up --target local`.
import { runSupervisor } from './supervisor.js';

const i = process.argv.indexOf('--state');
const root = i > 0 ? process.argv[i + 1] : undefined;
if (!root) {
  process.stderr.write('usage: supervisor-main --state DIR [--proxy]\n');
  process.exit(2);
}
const stamp = () => new Date().toISOString();
const code = await runSupervisor(root, (line) => process.stdout.write(`${stamp()} ${line}\n`), {
  proxy: process.argv.includes('--proxy'),
});
process.exit(code);
