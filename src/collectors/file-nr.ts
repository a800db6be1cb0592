import type { Collector } from "./types.js";

/** System-wide file handles in use against `fs.file-max`. */
export const fileNr: Collector = {
  id: "file-nr",
  title: "file handles in use against fs.file-max (/proc/sys/fs/file-nr)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  command: () => ({ argv: ["cat", "/proc/sys/fs/file-nr"], readsKernelOnly: true }),
};
