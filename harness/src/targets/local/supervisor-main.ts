// Entry of the detached supervisor process started by `aigos-harness up --target local`.
import { runSupervisor, SUPERVISOR_FLAGS, type SupervisorOptions } from './supervisor.js';

const i = process.argv.indexOf('--state');
const root = i > 0 ? process.argv[i + 1] : undefined;
if (!root) {
  process.stderr.write(
    `usage: supervisor-main --state DIR [${Object.values(SUPERVISOR_FLAGS).join('] [')}]\n`,
  );
  process.exit(2);
}
const options = Object.fromEntries(
  Object.entries(SUPERVISOR_FLAGS).map(([option, flag]) => [option, process.argv.includes(flag)]),
) as SupervisorOptions;
const stamp = () => new Date().toISOString();
const code = await runSupervisor(root, (line) => process.stdout.write(`${stamp()} ${line}\n`), options);
process.exit(code);
