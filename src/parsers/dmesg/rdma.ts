/**
 * RDMA family: Mellanox (mlx4/mlx5) command timeouts, error completions with their CQE dump, and
 * firmware health failures. Sources: drivers/net/ethernet/mellanox/mlx5/core (cmd.c,
 * en/reporter_*.c, health.c), drivers/infiniband/hw/mlx5/cq.c, drivers/net/ethernet/mellanox/mlx4.
 */
import type { SimpleEvent } from "./events.js";
import type { Family, Taken } from "./reader.js";
import { Match } from "./text.js";

/** The device prefix of an RDMA / Mellanox message: `mlx5_core 0000:3b:00.0[ ens1f0]: `, `infiniband mlx5_0: `, `mlx4_core 0000:04:00.0: `. */
const RDMA_DEV =
  /^(?:infiniband (\S+?):|mlx[45]_(?:core|ib|en) ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d)(?: [\w.-]+)?:|(mlx[45]_\d+):)/;
/**
 * RDMA / Mellanox errors: drivers/net/ethernet/mellanox/mlx5/core/cmd.c (`%s(0x%x) timeout. Will
 * cause a leak of a command resource`, `cmd[%d]: %s(0x%x) Async, timeout.`, `… No done completion`,
 * `failed to allocate command entry`), en/reporter_*.c (`Error cqe on cqn 0x%x`), health.c
 * (`device's health compromised`, `Fatal error %d detected`), drivers/infiniband/hw/mlx5/cq.c
 * (`WC error: %d, Message: %s`, `dump error cqe`), mlx4 (`command 0x%x timed out`).
 */
const RDMA_ERR =
  /\w+\(0x[0-9a-f]+\)(?: Async,)? (?:timeout|No done completion)|failed to allocate command entry|[Ee]rror cqe on cqn|WC error: \d+, [Mm]essage: (.+?)\s*$|dump error cqe|health compromised|Fatal error \d+ detected|command 0x[0-9a-f]+ timed out|FW command timed out/;
/** The hex lines after `dump error cqe` (print_hex_dump, or `%08x %08x %08x %08x`). */
const HEX_DUMP =
  /^(?:cqe_dump: )?(?:[0-9a-f]{8}: (?:[0-9a-f]{2} ){15}[0-9a-f]{2}|[0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8})\s*$/;

function detailOf(t: string): string {
  const wc = /WC error: \d+, [Mm]essage: (.+?)\s*$/.exec(t);
  if (wc) return `WC error: ${wc[1]}`;
  if (/timeout|timed out|No done completion/.test(t)) return "command timeout";
  if (/cqe/i.test(t)) return "error CQE";
  if (/health|Fatal error/.test(t)) return "health compromised";
  return "command failure";
}

/** The CQE dump that follows a WC error, and its hex lines. */
function takeDumpLine(device: string, msg: string): Taken {
  if (HEX_DUMP.test(msg.trim())) return true;
  const mt = new Match();
  if (/dump error cqe|cqe_dump/.test(msg) && mt.test(RDMA_DEV, msg)) {
    return (mt.m[1] ?? mt.m[2] ?? mt.m[3]) === device;
  }
  return false;
}

export const rdma: Family = {
  name: "rdma",
  sources: [
    "drivers/net/ethernet/mellanox/mlx5/core/cmd.c",
    "drivers/net/ethernet/mellanox/mlx5/core/health.c",
    "drivers/net/ethernet/mellanox/mlx5/core/en/reporter_rx.c",
    "drivers/infiniband/hw/mlx5/cq.c",
    "drivers/net/ethernet/mellanox/mlx4/cmd.c",
  ],
  classify(r, p, t, raw) {
    const m = RDMA_DEV.exec(t);
    if (!m || !RDMA_ERR.test(t)) return false;
    const device = m[1] ?? m[2] ?? m[3];
    const e: SimpleEvent = { ...r.base("rdma-error", p, raw), kind: "rdma-error", device };
    e.detail = detailOf(t);
    r.open({ event: e, take: (_p, msg) => takeDumpLine(device, msg) }, p);
    return true;
  },
};
