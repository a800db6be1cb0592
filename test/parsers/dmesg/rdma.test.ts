import { describe, expect, it } from "vitest";
import { rdma } from "../../../src/parsers/dmesg/rdma.js";
import { isListed, readWith } from "./read-with.js";

describe("RDMA family (drivers/net/ethernet/mellanox/mlx5)", () => {
  it("is listed with its sources", () => expect(isListed(rdma)).toBe(true));

  it("reads a firmware command timeout", () => {
    const [e] = readWith(rdma, [
      "[ 61.2] mlx5_core 0000:5e:00.0: wait_func:1164:(pid 1231): CREATE_MKEY(0x200) timeout. Will cause a leak of a command resource",
    ]);
    expect(e).toMatchObject({
      kind: "rdma-error",
      device: "0000:5e:00.0",
      detail: "command timeout",
    });
  });
});
