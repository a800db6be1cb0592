import { wrapCommand } from "../collectors/command.js";
import type { Transport } from "../transport/types.js";

/** One line of `ps -eo pid=,comm=`. */
export interface ProcessEntry {
  pid: number;
  comm: string;
}

/**
 * Every process on the host, from a fixed `ps -eo pid=,comm=` listing; empty when `ps` could
 * not run. Names and PIDs given by the user are matched here, in the worker: they never reach
 * a shell.
 */
export async function listProcesses(transport: Transport): Promise<ProcessEntry[]> {
  const built = wrapCommand(
    { argv: ["ps", "-eo", "pid=,comm="] },
    { seconds: 5, lowPriority: false, ctx: { sudo: false, root: transport.root } },
  );
  const r = await transport.exec(built.text, { timeoutMs: 8000, capBytes: 4 << 20 });
  return r.stdout
    .toString("utf8")
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), comm: m[2] }));
}
