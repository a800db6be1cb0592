import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { counter, factsOf, n, round, startOf } from "./util.js";

/**
 * The NFS client's RPC calls and retransmissions over the window (/proc/net/rpc/nfs read at
 * its start and end). A retransmission is a request sent again: no reply came within the
 * mount's `timeo` (nfs(5): 60 s by default over TCP, with `retrans` 2 tries before "server not
 * responding"; 0.7 s doubling over UDP), or the connection broke and the request went out on a
 * new one (net/sunrpc/xprt.c xprt_request_transmit). Either way a server did not answer.
 *
 * The counters are 32-bit and since the sunrpc module loaded: a reading lower at the end than
 * at the start (module reloaded, counter wrapped) gives no window facts. From one reading the
 * totals are since boot and `nfs.client.since_boot` is true.
 */
const provides: ModuleFactSpec[] = [
  {
    path: "nfs.client.since_boot",
    says: {
      yes: "NFS client counters read once (totals since the module loaded)",
      no: "NFS client counters read over the window",
    },
    type: "boolean",
    doc: "True when /proc/net/rpc/nfs was read once: totals since the sunrpc module loaded, not the window.",
  },
  {
    path: "nfs.client.calls",
    says: "{} NFS RPC calls",
    type: "number",
    unit: "calls",
    doc: "RPC calls the NFS client started (rpc line, first value), over the window or since the module loaded.",
  },
  {
    path: "nfs.client.retrans",
    says: "{} NFS RPC retransmissions",
    type: "number",
    unit: "requests",
    doc: "Requests the NFS client sent again (rpc line, second value), over the window or since the module loaded.",
  },
  {
    path: "nfs.client.retrans_pct",
    says: "NFS retransmissions at {} of calls",
    type: "number",
    unit: "%",
    doc: "Retransmissions / calls × 100 over the same span; absent when no call started.",
  },
];

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const end = factsOf(parsed, "nfs-client")?.rpc;
  if (!end) return bag;
  const start = startOf(parsed, "nfs-client")?.rpc;
  const calls = counter(n(end.calls), n(start?.calls), ctx.windowSeconds);
  const retrans = counter(n(end.retrans), n(start?.retrans), ctx.windowSeconds);
  const line = `rpc ${end.calls} ${end.retrans} ${end.authrefresh}${start ? ` (start: rpc ${start.calls} ${start.retrans} ${start.authrefresh})` : ""}`;
  if (!calls || !retrans) {
    bag.note(
      "/proc/net/rpc/nfs counters went down during the window (the sunrpc module was reloaded, or a counter wrapped at 2^32): no NFS rates.",
    );
    return bag;
  }
  const sinceBoot = calls.mode === "since-boot";
  bag.set("nfs.client.since_boot", sinceBoot, "nfs-client", line);
  if (sinceBoot) {
    bag.sinceBoot = true;
    bag.note("nfs-client was read once: NFS RPC counters are totals since the module loaded.");
  }
  const span = sinceBoot ? "since the module loaded" : `over ${ctx.windowSeconds} s`;
  const say = `${retrans.delta} retransmissions, ${calls.delta} calls ${span}; ${line}`;
  bag.set("nfs.client.calls", calls.delta, "nfs-client", say);
  bag.set("nfs.client.retrans", retrans.delta, "nfs-client", say);
  if (calls.delta > 0)
    bag.set(
      "nfs.client.retrans_pct",
      round((retrans.delta / calls.delta) * 100, 3),
      "nfs-client",
      say,
    );
  return bag;
}

/** The `nfs-client` derive module (see the header comment of this file). */
export const nfsClientModule: DeriveModule = {
  id: "nfs-client",
  needs: ["nfs-client"],
  provides,
  derive,
};
