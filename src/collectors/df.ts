import type { Collector } from "./types.js";

/**
 * Block usage of local filesystems, POSIX format, 1024-byte blocks, with the type column:
 * `df -lPkT`. `-l` keeps df off network mounts, so a hung NFS server cannot block it.
 */
export const df: Collector = {
  id: "df",
  title: "filesystem space (df -lPkT)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 256 * 1024,
  package: "coreutils",
  command: () => ({ argv: ["df", "-lPkT"] }),
};

/** Inode usage of local filesystems: `df -lPiT` (same reasons as {@link df}). */
export const dfInodes: Collector = {
  id: "df-inodes",
  title: "filesystem inodes (df -lPiT)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 256 * 1024,
  package: "coreutils",
  command: () => ({ argv: ["df", "-lPiT"] }),
};
