import { describe, expect, it } from "vitest";
import { block } from "../../../src/parsers/dmesg/block.js";
import { isListed, readWith } from "./read-with.js";

describe("block I/O family (block/blk-core.c, drivers/scsi, drivers/ata, drivers/nvme)", () => {
  it("is listed with its sources", () => expect(isListed(block)).toBe(true));

  it("reads a SCSI medium error and the block layer's line as one event (scenario-18)", () => {
    const events = readWith(block, [
      "[104802.137135] sd 0:0:0:1: [sdb] tag#0 Sense Key : Medium Error [current] ",
      "[104802.137143] blk_update_request: critical medium error, dev sdb, sector 4136641792",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "medium-error",
      device: "sdb",
      error: "Medium Error",
      sector: 4136641792,
      end_line: 2,
    });
  });

  it("reads a buffer I/O error", () => {
    const [e] = readWith(block, [
      "[  301.512345] Buffer I/O error on dev nvme0n1p1, logical block 0, lost async page write",
    ]);
    expect(e).toMatchObject({
      kind: "io-error",
      device: "nvme0n1p1",
      logical_block: 0,
      operation: "WRITE",
    });
  });

  it("reads an ATA exception that froze the port as a timeout/reset", () => {
    const [e] = readWith(block, [
      "[ 7104.100000] ata3.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen",
    ]);
    expect(e).toMatchObject({ kind: "disk-timeout-reset", device: "ata3.00" });
  });
});
