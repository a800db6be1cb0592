import type { MceEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Machine checks and EDAC (arch/x86/kernel/cpu/mce, drivers/edac, drivers/acpi/apei): corrected
 * and uncorrected counts, whether the errors are memory errors, and the DIMM or controller named.
 */
export const mce: LogJudge = {
  name: "mce",
  provides: [
    {
      path: "mce.events",
      says: "{} machine-check or EDAC errors",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Machine-check and EDAC error messages (current).",
    },
    {
      path: "mce.corrected",
      type: "number",
      unit: "errors",
      from: LOG,
      doc: "Corrected errors (EDAC CE, `Corrected error`).",
    },
    {
      path: "mce.uncorrected",
      type: "number",
      unit: "errors",
      from: LOG,
      doc: "Uncorrected or fatal errors (EDAC UE, `Uncorrected`, `Processor context corrupt`).",
    },
    {
      path: "mce.memory",
      type: "boolean",
      from: LOG,
      doc: "True when the errors are memory (DRAM/DIMM) errors.",
    },
    {
      path: "mce.location",
      type: "string",
      from: LOG,
      doc: "DIMM, channel or bank named, when printed.",
    },
  ],
  judge(ev, bag) {
    const mces = ev.of("mce") as MceEvent[];
    let ce = 0;
    let ue = 0;
    for (const m of mces) {
      if (m.corrected === true) ce += m.count ?? 1;
      if (m.corrected === false) ue += m.count ?? 1;
    }
    bag.set("mce.events", mces.length, SRC, mces[0]?.text);
    bag.set(
      "mce.corrected",
      ce,
      SRC,
      mces.find((m) => m.corrected === true)?.text ?? mces[0]?.text,
    );
    bag.set(
      "mce.uncorrected",
      ue,
      SRC,
      mces.find((m) => m.corrected === false)?.text ?? mces[0]?.text,
    );
    if (mces.length === 0) return;
    const mem = mces.filter(
      (m) =>
        m.dimm !== undefined ||
        m.mc !== undefined ||
        /memory|DRAM|DIMM/i.test(`${m.error ?? ""} ${m.text}`),
    );
    bag.set("mce.memory", mem.length > 0, SRC, mem[0]?.text ?? mces[0].text);
    // The first event naming a DIMM, else a memory controller, cited for the place it names.
    const at = mces.find((m) => m.dimm) ?? mces.find((m) => m.mc !== undefined);
    if (at) bag.set("mce.location", at.dimm ?? `MC${at.mc}`, SRC, at.text);
  },
};
