import { buildCommand } from "../collectors/command.js";
import { renderSudoers } from "../collectors/sudoers.js";
import { DiagbotError } from "../model/errors.js";
import { COLLECTORS } from "../sources/collectors.js";

/** `diagbot collectors`: every collector with its cost class and command line (as root). */
export function runCollectors(opts: { json: boolean }): number {
  const ctx = { windowSeconds: 5, pids: [1234], sudo: false, root: true };
  const rows = COLLECTORS.map((c) => ({
    id: c.id,
    cost: c.cost,
    windowed: Boolean(c.windowed),
    title: c.title,
    command: buildCommand(c, ctx)?.text ?? "",
  }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    for (const r of rows)
      process.stdout.write(`${r.id.padEnd(20)} ${r.cost.padEnd(10)} ${r.title}\n`);
  }
  return 0;
}

/** `diagbot sudoers --user USER`: the drop-in for /etc/sudoers.d/ (check with `visudo -c -f`). */
export function runSudoers(opts: { user: string }): number {
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/.test(opts.user)) {
    throw new DiagbotError("usage", `--user ${JSON.stringify(opts.user)}: not a valid user name`);
  }
  process.stdout.write(renderSudoers(opts.user, COLLECTORS));
  return 0;
}
