import { describe, expect, it } from "vitest";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * The hardware-mce rule (runbooks/kernel.yaml) on kernel logs replayed as bundles: every
 * machine-check, EDAC and memory-failure wording of ../shared/kernel-messages.md §10, each
 * composed from its format string (source file named on each), goes through the real dmesg
 * parser, the mce judge and the rule.
 */
const replay = bundleReplayer();

/** A healthy boot's machine-check and EDAC lines (mce/core.c, mce/therm_throt.c, edac_mc.c, sb_edac.c). */
const BOOT = [
  "[    0.412000] mce: CPU0: Thermal monitoring enabled (TM1)",
  "[    0.412100] mce: CPU supports 22 MCE banks",
  "[    2.100000] EDAC MC: Ver: 3.0.0",
  "[    2.200000] EDAC sbridge: Seeking for: PCI ID 8086:2fa0",
  "[    2.300000] EDAC MC0: Giving out device to module sb_edac controller Haswell SrcID#0_Ha#0: DEV 0000:7f:12.0 (INTERRUPT)",
  "[    2.400000] MCE: In-kernel MCE decoding enabled.",
];

const DIMM_SB = "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0";
const DIMM_SKX = "CPU_SrcID#0_MC#0_Chan#1_DIMM#0";

/** [wording, line as printed, corrected (true), uncorrected (false) or not told (undefined)]. */
const WORDINGS: [string, string, boolean | undefined][] = [
  // drivers/edac/edac_mc.c, 2.6.18–3.4
  [
    "edac_mc.c ≤ 3.4 CE page",
    'EDAC MC0: CE page 0x4a1b2, offset 0x0, grain 8, syndrome 0x4d, row 1, channel 0, label "DIMM_A1": i5000 DRAM error',
    true,
  ],
  [
    "edac_mc.c ≤ 3.4 UE page",
    'EDAC MC0: UE page 0x4a1b2, offset 0x0, grain 8, row 1, labels "DIMM_A1": i5000 DRAM error',
    false,
  ],
  ["edac_mc.c ≤ 3.4 CE row", 'EDAC MC0: CE row 1, channel 0, label "DIMM_A1": e752x CE', true],
  // drivers/edac/edac_mc.c, 3.10–5.4 (sb_edac location and detail)
  [
    "edac_mc.c 3.10–5.4 CE",
    `EDAC MC0: 1 CE memory read error on ${DIMM_SB} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)`,
    true,
  ],
  [
    "edac_mc.c 3.10–5.4 UE",
    `EDAC MC0: 1 UE memory read error on ${DIMM_SB} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)`,
    false,
  ],
  // drivers/edac/edac_mc.c, 5.8+ (skx location)
  [
    "edac_mc.c 5.8+ CE",
    `EDAC MC0: 1 CE memory read error on ${DIMM_SKX} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0 - err_code:0x0000:0x0091 socket:0 imc:0 rank:0)`,
    true,
  ],
  [
    "edac_mc.c 5.8+ UE",
    `EDAC MC0: 1 UE memory read error on ${DIMM_SKX} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 - err_code:0x0000:0x0091 socket:0 imc:0 rank:0)`,
    false,
  ],
  // drivers/edac/sb_edac.c: 3.4–3.13 default level, 3.16+ with the driver's prefix
  ["sb_edac.c ≤ 3.13", "HANDLING MCE MEMORY ERROR", undefined],
  ["sb_edac.c 3.16+", "EDAC sbridge MC1: HANDLING MCE MEMORY ERROR", undefined],
  // arch/x86/kernel/cpu/mcheck/mce.c (2.6) and arch/x86/kernel/cpu/mce/core.c
  ["mce.c ≤ 2.6.32 logged", "Machine check events logged", undefined],
  ["mce/core.c 3.10+ logged", "mce: [Hardware Error]: Machine check events logged", undefined],
  ["mce.c ≤ 2.6.32 print", "CPU 3: Machine Check Exception: 5 Bank 4: b200000000070f0f", false],
  [
    "mce.c 2.6.39–4.9 print",
    "[Hardware Error]: CPU 3: Machine Check Exception: 5 Bank 4: b200000000070f0f",
    false,
  ],
  // MCi_STATUS 8c00004000010090: VAL, EN, no UC (bit 61) nor PCC (bit 57): corrected.
  [
    "mce/core.c 4.12+ print",
    "mce: [Hardware Error]: CPU 3: Machine Check: 0 Bank 8: 8c00004000010090",
    true,
  ],
  ["mce.c 2.6.32 Machine check:", "Machine check: Processor context corrupt", false],
  [
    "mce/core.c 2.6.39+ Machine check:",
    "mce: [Hardware Error]: Machine check: Processor context corrupt",
    false,
  ],
  ["mce.c ≤ 4.0 panic", "Kernel panic - not syncing: Fatal Machine check", false],
  ["mce/core.c 4.4+ panic", "Kernel panic - not syncing: Fatal machine check", false],
  ["mce/core.c 4.4+ local panic", "Kernel panic - not syncing: Fatal local machine check", false],
  [
    "mce/core.c 3.4+ user-access",
    "mce: Uncorrected hardware memory error in user-access at 4a1b2000",
    false,
  ],
  // mm/memory-failure.c
  ["memory-failure.c 3.10–4.0", "MCE 0x4a1b2: dirty LRU page recovery: Recovered", false],
  ["memory-failure.c 4.4", "MCE 0x4a1b2: recovery action for dirty LRU page: Recovered", false],
  [
    "memory-failure.c 4.9+",
    "Memory failure: 0x4a1b2: recovery action for dirty LRU page: Recovered",
    false,
  ],
];

const log = (...lines: string[]) => ({
  text: `${[...BOOT, ...lines.map((l, i) => `[ ${(5000 + i).toFixed(6)}] ${l}`)].join("\n")}\n`,
});

describe("hardware-mce on kernel logs", () => {
  it.each(WORDINGS)("fires on the %s wording", async (_name, line, corrected) => {
    const r = await replay({ dmesg: log(line) }, "health");
    const h = hyp(r, "hardware-mce");
    expect(h, line).toBeDefined();
    expect(h?.category).toBe("hardware-mce");
    expect(h?.evidence[0]?.excerpt).toContain(line);
    expect(h?.title).toMatch(/^The hardware reports machine-check errors/);
    if (corrected === false) expect(h?.confidence).toBeGreaterThanOrEqual(0.9);
    if (corrected !== false) expect(h?.confidence).toBeLessThan(0.9);
  });

  it("names the DIMM and says memory when EDAC counts corrected errors (3.10+ wording)", async () => {
    const ce = `EDAC MC0: 3 CE memory read error on ${DIMM_SB} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)`;
    const r = await replay({ dmesg: log(ce) }, "health");
    const h = hyp(r, "hardware-mce");
    expect(h?.title).toBe(`The hardware reports machine-check errors in memory (${DIMM_SB})`);
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(r.hypotheses[0]?.rule).toBe("hardware-mce");
  });

  it("is sure of an uncorrected error and counts both kinds", async () => {
    const r = await replay(
      {
        dmesg: log(
          "mce: [Hardware Error]: Machine check: Processor context corrupt",
          `EDAC MC0: 1 CE memory read error on ${DIMM_SKX} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0 - err_code:0x0000:0x0091 socket:0 imc:0 rank:0)`,
        ),
      },
      "health",
    );
    const h = hyp(r, "hardware-mce");
    expect(h?.confidence).toBeCloseTo(0.9, 5);
    expect(r.hypotheses[0]?.rule).toBe("hardware-mce");
  });

  it("stays quiet on a healthy boot's machine-check and EDAC lines", async () => {
    const r = await replay({ dmesg: log() }, "health");
    expect(hyp(r, "hardware-mce")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "hardware-mce")?.verdict).toBe("fine");
  });

  it("stays quiet on a disk's medium errors (scenario 18)", async () => {
    const r = await replay(
      {
        dmesg: "../../../shared/scenarios/bundles/18-disk-medium-errors-unrecovered-read/dmesg.out",
      },
      "health",
    );
    expect(hyp(r, "hardware-mce")).toBeUndefined();
    expect(hyp(r, "disk-errors-hardware")).toBeDefined();
  });
});
