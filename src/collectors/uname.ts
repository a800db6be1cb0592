import type { Collector } from "./types.js";

/** Kernel name, release and version, machine (`uname -a`). */
export const uname: Collector = {
  id: "uname",
  title: "kernel and machine (uname -a)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  package: "coreutils",
  command: () => ({ argv: ["uname", "-a"] }),
};
