import { SYSCTL_KEYS } from "../parsers/sysctl.js";
import type { Collector } from "./types.js";

/**
 * The tunables the runbooks read, by name (`sysctl -a` is slow and noisy). `-e` makes
 * sysctl skip keys this kernel lacks (no nf_conntrack module loaded) silently and exit 0;
 * without it the other keys are still printed, but the exit status is non-zero.
 */
export const sysctl: Collector = {
  id: "sysctl",
  title: "kernel tunables the runbooks read (sysctl -e KEY…)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 64 * 1024,
  package: "procps",
  command: () => ({ argv: ["sysctl", "-e", ...SYSCTL_KEYS] }),
};
