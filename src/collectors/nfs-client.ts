import type { Collector } from "./types.js";

/**
 * The NFS client's RPC counters (calls, retransmissions; /proc/net/rpc/nfs), read at the start
 * and the end of the window: retransmissions that grow during it are calls the server did not
 * answer in time now. The file exists only while the nfs client module is loaded: a host that
 * mounts no NFS has none, and the collector is skipped, saying so.
 */
export const nfsClient: Collector = {
  id: "nfs-client",
  title: "NFS client RPC calls and retransmissions (/proc/net/rpc/nfs)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 16 << 10,
  windowed: true,
  absent: {
    stderr: /\/proc\/net\/rpc\/nfs: No such file or directory/,
    reason: "no NFS client on this host (/proc/net/rpc/nfs exists while the nfs module is loaded)",
  },
  command: () => ({ argv: ["cat", "/proc/net/rpc/nfs"], readsKernelOnly: true }),
};
