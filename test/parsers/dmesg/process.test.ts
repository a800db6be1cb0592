import { describe, expect, it } from "vitest";
import { processFaults } from "../../../src/parsers/dmesg/process.js";
import { isListed, readWith } from "./read-with.js";

describe("process family (arch/x86/mm/fault.c, fs/file_table.c)", () => {
  it("is listed with its sources", () => expect(isListed(processFaults)).toBe(true));

  it("reads a segfault and the file-max limit", () => {
    const events = readWith(processFaults, [
      "[ 77.1] myapp[2231]: segfault at 0 ip 00007f1c2a3b4c5d sp 00007ffd0e1f2a30 error 4 in libc.so.6[7f1c2a2a0000+195000]",
      "[ 78.1] VFS: file-max limit 65536 reached",
    ]);
    expect(events[0]).toMatchObject({
      kind: "segfault",
      process: "myapp",
      pid: 2231,
      fault_address: "0",
      error: "4",
      object: "libc.so.6",
    });
    expect(events[1]).toMatchObject({ kind: "file-max", limit: 65536 });
  });
});
