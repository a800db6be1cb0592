/**
 * GPU family: NVIDIA Xid errors and a GPU fallen off the bus. Source: the NVIDIA driver's NVRM
 * messages (nv-report-err, os-interface); the Xid numbers are listed in NVIDIA's "Xid Errors"
 * document (docs.nvidia.com/deploy/xid-errors).
 */
import type { SimpleEvent } from "./events.js";
import type { Family } from "./reader.js";

/** NVIDIA driver (nv-report-err / os-interface): `NVRM: Xid (PCI:%s): %d, %s`; `NVRM: GPU at PCI:%s: …`, `GPU has fallen off the bus`. */
const XID = /NVRM: Xid \((?:PCI:)?([^)]+)\): (\d+),\s*(.*)$/;
const GPU_OFF_BUS = /NVRM: .*GPU has fallen off the bus/;

export const gpu: Family = {
  name: "gpu",
  sources: ["NVIDIA driver NVRM messages", "docs.nvidia.com/deploy/xid-errors"],
  classify(r, p, t, raw) {
    const m = XID.exec(t);
    if (m) {
      const e: SimpleEvent = {
        ...r.base("gpu-xid", p, raw),
        kind: "gpu-xid",
        xid: Number(m[2]),
        pci: m[1],
        detail: m[3].trim(),
      };
      const pid = /pid=(\d+)/.exec(m[3]);
      if (pid) e.pid = Number(pid[1]);
      return r.single(e);
    }
    if (!GPU_OFF_BUS.test(t)) return false;
    return r.single({
      ...r.base("gpu-xid", p, raw),
      kind: "gpu-xid",
      detail: "GPU has fallen off the bus",
    });
  },
};
