import { describe, expect, it } from "vitest";
import { parseNfsClient } from "../../src/parsers/nfs-client.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("nfs-client parser (/proc/net/rpc/nfs)", () => {
  it("reads procfs's fixture: net, rpc and the calls of NFS v2, v3 and v4", () => {
    const { facts, problems } = parseFixture(
      parseNfsClient,
      "nfs-client/procfs__proc_net_rpc_nfs.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.net).toEqual({ packets: 18628, udp: 0, tcp: 18628, tcp_connections: 6 });
    expect(facts.rpc).toEqual({ calls: 4329785, retrans: 0, authrefresh: 4338291 });
    expect(facts.versions["3"]).toHaveLength(22);
    expect(facts.versions["3"][1]).toBe(4084749);
    expect(facts.versions["2"][16]).toBe(99);
    expect(facts.versions["4"]).toHaveLength(61);
  });

  it("reads node_exporter's fixture, whose client retransmitted", () => {
    const { facts, problems } = parseFixture(
      parseNfsClient,
      "nfs-client/node_exporter__proc_net_rpc_nfs.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.rpc).toEqual({ calls: 1218785755, retrans: 374636, authrefresh: 1218815394 });
    expect(facts.versions["3"][1]).toBe(1061909262);
    expect(facts.versions["4"]).toHaveLength(48);
  });

  it("keeps a procV line whose count disagrees, and records foreign lines", () => {
    const { facts, problems } = parseText(
      parseNfsClient,
      "$ cat /proc/net/rpc/nfs\nnet 18628 0 18628 6\nrpc 4329785 0 4338291\nproc2 18 2 69 0\n",
    );
    expect(facts.rpc?.calls).toBe(4329785);
    expect(facts.versions["2"]).toEqual([2, 69, 0]);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, reason: "not an NFS client statistics line" }),
      expect.objectContaining({ line: 4, reason: "proc2 declares 18 procedures, has 3" }),
    ]);
  });

  it("rejects empty input, the server's file and garbage with the documented error", () => {
    expect(() => parseText(parseNfsClient, "")).toThrow(UnrecognisedOutputError);
    // /proc/net/rpc/nfsd has an `rpc` line of five values (svc_seq_show): not the client's.
    expect(() => parseText(parseNfsClient, "rc 0 6 18622\nrpc 18628 0 0 0 0\n")).toThrow(
      UnrecognisedOutputError,
    );
    expect(() => parseText(parseNfsClient, "\u0000\u00ff garbage\nrpc x y z\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
