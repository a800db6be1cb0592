import { describe, expect, it } from "vitest";
import { parseIotop } from "../../src/parsers/iotop.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseIotop, `iotop/${name}`);
const MiB = 1024 ** 2;

describe("iotop parser", () => {
  it("reads thread rows with human units and no delay accounting", () => {
    const { facts, problems } = f("vm-debian12-k6.18__iotop-b-n3-p.txt");
    expect(facts.iterations).toBe(3);
    expect(facts.delay_accounting).toBe(false);
    expect(facts.rows[2]).toMatchObject({
      iteration: 2,
      tid: 24663,
      prio: "be/4",
      user: "root",
      command: "python3 /tmp/writer.py",
    });
    expect(facts.rows[2].write_bytes_per_s).toBeCloseTo(354.33 * MiB, 2);
    expect(facts.totals[1].total_write_bytes_per_s).toBeCloseTo(298.57 * MiB, 2);
    expect(facts.totals[1].current_write_bytes_per_s).toBeCloseTo(295.71 * MiB, 2);
    expect(problems).toEqual([]);
  });

  it("reads -P -k -t: processes, K/s and time stamps", () => {
    const { facts } = f("vm-debian12-k6.18__iotop-b-P-k-t.txt");
    expect(facts.rows[1]).toMatchObject({ time: "15:08:36", pid: 24663 });
    expect(facts.rows[1].write_bytes_per_s).toBeCloseTo(361939.35 * 1024, 2);
    expect(facts.totals[2]).toMatchObject({ time: "15:08:37" });
    expect(facts.totals[2].current_write_bytes_per_s).toBeCloseTo(368573.4 * 1024, 2);
    expect(facts.tasks[0]).toMatchObject({ pid: 24663, samples: 3 });
  });

  it("reads IO% and SWAPIN% with delay accounting on (-o: no row in the first iteration)", () => {
    const { facts } = f("vm-debian12-k6.18__iotop-b-o-P-delayacct.txt");
    expect(facts.delay_accounting).toBe(true);
    expect(facts.rows.map((r) => [r.iteration, r.io_pct, r.swapin_pct])).toEqual([
      [1, 14.42, 0],
      [2, 13.58, 0],
    ]);
    expect(facts.tasks[0]).toMatchObject({ pid: 26048, io_pct_max: 14.42, io_pct_mean: 14 });
    expect(facts.totals[2].total_write_bytes_per_s).toBeCloseTo(326.26 * MiB, 2);
  });

  it("reads -qqq rows without headers, -a totals, and records a prompt", () => {
    const text = [
      "# iotop -b -o -qqq -a -t -n 2",
      "10:00:01  4242 be/4 mysql      10.00 M     20.00 G  0.00 % 85.00 % mysqld --datadir=/var/lib/mysql",
      "10:00:02  4242 be/4 mysql      11.00 M     21.00 G  0.00 % 90.00 % mysqld --datadir=/var/lib/mysql",
    ].join("\n");
    const { facts, problems } = parseText(parseIotop, text);
    expect(facts.iterations).toBe(2);
    expect(facts.rows[1]).toMatchObject({
      iteration: 1,
      tid: 4242,
      read_bytes: 11 * MiB,
      io_pct: 90,
    });
    expect(facts.rows[1].write_bytes).toBe(21 * 1024 ** 3);
    expect(problems.map((p) => p.line)).toEqual([1]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseIotop, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseIotop, "\u0000\u00ff garbage\n")).toThrow(UnrecognisedOutputError);
  });
});
