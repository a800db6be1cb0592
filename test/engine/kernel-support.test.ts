import { describe, expect, it } from "vitest";
import { kernelSupportNote } from "../../src/engine/kernel-support.js";

const NOW = new Date("2026-11-30T00:00:00Z");

describe("kernel support note", () => {
  it("judges distribution kernels by their vendor, not upstream dates", () => {
    expect(kernelSupportNote("3.10.0-1160.el7.x86_64", NOW)).toMatch(/RHEL 7 .*ended 2024-06/);
    expect(kernelSupportNote("5.14.0-362.8.1.el9_3.x86_64", NOW)).toMatch(
      /RHEL 9, supported by the vendor until 2032-05/,
    );
    expect(kernelSupportNote("4.15.0-65-generic", NOW)).toMatch(/Ubuntu 18.04.*ended/);
    expect(kernelSupportNote("5.15.0-91-generic", NOW)).toMatch(
      /Ubuntu 22.04, supported .* until 2027-04/,
    );
    expect(kernelSupportNote("6.1.0-18-amd64", NOW)).toMatch(/Debian 12/);
    expect(kernelSupportNote("5.14.21-150500.55.39-default", NOW)).toMatch(/SLES 15/);
    expect(kernelSupportNote("4.14.256-197.484.amzn2.x86_64", NOW)).toMatch(/Amazon Linux 2,/);
  });

  it("judges other kernels by kernel.org's longterm table", () => {
    expect(kernelSupportNote("6.18.44-fc-v657", NOW)).toMatch(
      /longterm 6.18, maintained until 2028-12/,
    );
    expect(kernelSupportNote("5.4.0", NOW)).toMatch(/reached end of life 2025-12/);
    expect(kernelSupportNote("6.9.3", NOW)).toMatch(/not a longterm line/);
  });

  it("says nothing about a release it cannot read", () => {
    expect(kernelSupportNote("garbage", NOW)).toBeUndefined();
  });
});
