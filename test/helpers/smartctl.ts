import { expect } from "vitest";
import { readFixture } from "./fixtures.js";

/**
 * smartctl outputs as the collector writes them: each fixture under its `==> DEVICE <==`
 * marker, with some of its lines replaced (`[/^  5 Reallocated.*$/m, "..."]`); each
 * replacement must match, so a fixture that changes cannot turn a test into a no-op.
 */
export function smartctlOutput(
  disks: { device: string; fixture: string; edits?: [RegExp, string][] }[],
): { text: string } {
  const parts = disks.map(({ device, fixture, edits = [] }) => {
    let text = readFixture(fixture);
    for (const [re, to] of edits) {
      expect(text).toMatch(re);
      text = text.replace(re, to);
    }
    return `==> ${device} <==\n${text.replace(/^\n/, "")}`;
  });
  return { text: parts.join("\n") };
}

/** The healthy ATA drive of insights-core's smartctl tests (old layout, WHEN_FAILED column). */
export const ATA_HEALTHY = "smartctl/insights-core__test_smartctl__STANDARD_DRIVE.txt";

/**
 * The same drive failing as smartctl prints it (ataprint.cpp): the FAILED! verdict with its two
 * following lines, attribute 5 below its threshold (FAILING_NOW, the VALUE/WORST of a real
 * Seagate report with 4049 remapped sectors), and pending / offline-uncorrectable sectors.
 */
export const ATA_FAILING: [RegExp, string][] = [
  [
    /test result: PASSED$/m,
    "test result: FAILED!\nDrive failure expected in less than 24 hours. SAVE ALL DATA.\nSee vendor-specific Attribute list for failed Attributes.",
  ],
  [
    /^ {2}5 Reallocated_Sector_Ct .*$/m,
    "  5 Reallocated_Sector_Ct   0x0033   002   002   036    Pre-fail  Always   FAILING_NOW 4049",
  ],
  [/^(197 Current_Pending_Sector .* -\s+)0$/m, "$116"],
  [/^(198 Offline_Uncorrectable .* -\s+)0$/m, "$116"],
];
