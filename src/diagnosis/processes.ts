import { wrapCommand } from "../collectors/command.js";
import type { Transport } from "../transport/types.js";

/** `--process NAME`: letters, digits and `._:-`, 1 to 64 characters (DESIGN.md). */
export const PROCESS_NAME = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * PIDs whose `comm` equals `name`, from a fixed `ps -eo pid=,comm=` listing on the host.
 * The name is matched here, in the worker: it never reaches a shell.
 */
export async function resolveProcess(transport: Transport, name: string): Promise<number[]> {
  const built = wrapCommand(
    { argv: ["ps", "-eo", "pid=,comm="] },
    { seconds: 5, lowPriority: false, ctx: { sudo: false, root: transport.root } },
  );
  const r = await transport.exec(built.text, { timeoutMs: 8000, capBytes: 4 << 20 });
  return r.stdout
    .toString("utf8")
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === name)
    .map((m) => Number(m[1]));
}
