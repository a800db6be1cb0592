import type { Collector } from "./types.js";

/**
 * Files deleted but still held open (their space is not freed): `lsof +L1` lists open files
 * with a link count below 1. `-b` avoids kernel calls that can block on a hung mount, `-n`
 * skips DNS, `-w` drops warnings. Needs root to see other users' processes.
 */
export const deletedOpenFiles: Collector = {
  id: "deleted-open-files",
  title: "deleted files still held open (lsof -b -n -w +L1)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 20,
  capBytes: 4 * 1024 * 1024,
  package: "lsof",
  command: () => ({ argv: ["/usr/bin/lsof", "-b", "-n", "-w", "+L1"], root: true }),
};
