import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type DfRow, parseDf } from "../../src/parsers/df.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);
const K = 1024;
const M = 1024 ** 2;
const G = 1024 ** 3;

const mount = (rows: DfRow[], m: string) => rows.find((r) => r.mount === m)!;

describe("df parser", () => {
  it("reads the collector's df -lPkT (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseDf, "df/vm-debian12-k6.18__df-lPkT.txt");
    expect(problems).toEqual([]);
    expect(facts.rows).toHaveLength(5);
    expect(mount(facts.rows, "/")).toEqual({
      filesystem: "/dev/vda",
      type: "ext4",
      size_bytes: 264212084 * K,
      used_bytes: 23520144 * K,
      avail_bytes: 82870768 * K,
      use_pct: 23,
      mount: "/",
      pseudo: false,
      network: false,
    });
    const model = mount(facts.rows, "/mnt/sandboxing/model_tools_env/v1/python");
    expect([model.type, model.size_bytes, model.pseudo]).toEqual(["tmpfs", 4 * K, true]);
    expect(mount(facts.rows, "/dev/shm").used_bytes).toBe(1052 * K);
    expect(facts.worst?.mount).toBe("/");
  });

  it("reads the collector's df -lPiT (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseDf, "df-inodes/vm-debian12-k6.18__df-lPiT.txt");
    expect(problems).toEqual([]);
    expect(mount(facts.rows, "/")).toMatchObject({
      type: "ext4",
      inodes: 16777216,
      iused: 419815,
      ifree: 16357401,
      iuse_pct: 3,
    });
    expect(mount(facts.rows, "/dev").iused).toBe(114);
    expect(facts.worst_inodes?.filesystem).toBe("/dev/vda");
    expect(facts.worst).toBeUndefined();
  });

  it("reads df -P with stderr lines and pseudo filesystems (insights-core DF_ALP)", () => {
    const { facts, problems } = parseFixture(parseDf, "df/insights-core__test_df__DF_ALP.txt");
    expect(facts.rows).toHaveLength(9);
    expect(mount(facts.rows, "/")).toMatchObject({
      filesystem: "/dev/mapper/vg_lxcrhel6sat56-lv_root",
      size_bytes: 98571884 * K,
      used_bytes: 4244032 * K,
      avail_bytes: 89313940 * K,
      use_pct: 5,
      pseudo: false,
    });
    expect(mount(facts.rows, "/sys")).toMatchObject({
      filesystem: "sysfs",
      use_pct: null,
      pseudo: true,
    });
    expect(mount(facts.rows, "/dev/shm").used_bytes).toBe(491660 * K);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [1, "df error message"],
      [2, "df error message"],
    ]);
  });

  it("reads df -h sizes as powers of 1024 (jc centos-7.7 df-h)", () => {
    const { facts, problems } = parseFixture(parseDf, "df/jc__centos-7.7__df-h.out.txt");
    expect(problems).toEqual([]);
    const root = mount(facts.rows, "/");
    expect(root.size_bytes).toBe(17 * G);
    expect(root.used_bytes).toBe(Math.round(1.8 * G));
    expect(root.use_pct).toBe(11);
    expect(root.approximate).toBe(true);
    expect(mount(facts.rows, "/boot").size_bytes).toBe(1014 * M);
    expect(facts.worst?.mount).toBe("/boot");
  });

  it("reads plain 1K-blocks (jc centos-7.7 df)", () => {
    const { facts } = parseFixture(parseDf, "df/jc__centos-7.7__df.out.txt");
    expect(facts.rows).toHaveLength(7);
    expect(mount(facts.rows, "/boot")).toMatchObject({
      filesystem: "/dev/sda1",
      size_bytes: 1038336 * K,
      used_bytes: 237600 * K,
      avail_bytes: 800736 * K,
      use_pct: 23,
    });
    expect(mount(facts.rows, "/run").used_bytes).toBe(11832 * K);
  });

  it("reads a misaligned long source name with the Type column (jc generic)", () => {
    const { facts, problems } = parseFixture(parseDf, "df/jc__generic__df-long-filesystem.out.txt");
    expect(problems).toEqual([]);
    expect(facts.rows[0]).toMatchObject({
      filesystem: "/dev/mapper/VolGroup00-LogVol00",
      type: "ext3",
      size_bytes: 6030784 * K,
      used_bytes: 1147932 * K,
      use_pct: 21,
    });
    expect(mount(facts.rows, "/proc")).toMatchObject({ type: "proc", use_pct: null, pseudo: true });
  });

  it("treats snap loop images as pseudo, so a 100 % snap is not the worst (jc ubuntu-18.04)", () => {
    const { facts } = parseFixture(parseDf, "df/jc__ubuntu-18.04__df-h.out.txt");
    expect(facts.rows).toHaveLength(18);
    expect(mount(facts.rows, "/snap/core18/1223")).toMatchObject({
      filesystem: "/dev/loop0",
      size_bytes: 55 * M,
      use_pct: 100,
      pseudo: true,
    });
    expect(mount(facts.rows, "/run/lock").size_bytes).toBe(5 * M);
    expect(facts.worst).toMatchObject({ filesystem: "/dev/sda2", size_bytes: 20 * G, use_pct: 30 });
    expect(mount(facts.rows, "/dev").filesystem).toBe("udev");
    expect(mount(facts.rows, "/dev").pseudo).toBe(true);
  });

  it("reads df -hP (vm-debian12)", () => {
    const { facts } = parseFixture(parseDf, "df/vm-debian12-k6.18__df-hP.txt");
    expect(mount(facts.rows, "/")).toMatchObject({
      size_bytes: 252 * G,
      used_bytes: 25 * G,
      avail_bytes: 78 * G,
      use_pct: 24,
    });
    expect(mount(facts.rows, "/mnt/sandboxing/model_tools_env/v1/python").size_bytes).toBe(4 * K);
    expect(mount(facts.rows, "/mnt/sandboxing/model_tools_env/v1/python").pseudo).toBe(false);
  });

  it("joins a wrapped long name across a blank line and keeps spaces in mount points (insights-core DF_LI)", () => {
    const { facts, problems } = parseFixture(
      parseDf,
      "df-inodes/insights-core__test_df__DF_LI.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.rows).toHaveLength(10);
    expect(facts.rows[0]).toMatchObject({
      filesystem: "/dev/mapper/vg_lxcrhel6sat56-lv_root",
      inodes: 6275072,
      iused: 124955,
      ifree: 6150117,
      iuse_pct: 2,
      mount: "/",
    });
    expect(mount(facts.rows, "/V M T o o l s").filesystem).toBe("/dev/sdb1");
    expect(mount(facts.rows, "/VM Tools").iused).toBe(15);
    expect(mount(facts.rows, "/home").inodes).toBe(106954752);
  });

  it("reads df -iP (vm-debian12)", () => {
    const { facts } = parseFixture(parseDf, "df-inodes/vm-debian12-k6.18__df-iP.txt");
    expect(mount(facts.rows, "/")).toMatchObject({
      inodes: 16777216,
      iused: 474335,
      ifree: 16302881,
      iuse_pct: 3,
    });
    expect(mount(facts.rows, "/sys/fs/cgroup").iused).toBe(11);
  });

  it("reads df -ih suffixes, a '-' IUse% and the prompt (scenario 01)", () => {
    const text = [
      "[root@nixos:/]# df -ih",
      "Filesystem     Inodes IUsed IFree IUse% Mounted on",
      "devtmpfs         789K   419  788K    1% /dev",
      "/dev/sda2        1.6M  1.6M     8  100% /",
      "/dev/sda1           0     0     0     - /boot",
    ].join("\n");
    const { facts, problems } = parseText(parseDf, text);
    expect(facts.worst_inodes).toMatchObject({ filesystem: "/dev/sda2", iuse_pct: 100, ifree: 8 });
    expect(mount(facts.rows, "/dev").inodes).toBe(789 * 1024);
    expect(mount(facts.rows, "/boot")).toMatchObject({ inodes: 0, iuse_pct: null, pseudo: false });
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, text: "[root@nixos:/]# df -ih" }),
    ]);
  });

  it("tells -H (powers of 1000, lowercase k) from -h", () => {
    const text =
      "Filesystem Size Used Avail Use% Mounted on\nnone 4.1k 0 4.1k 0% /x\n/dev/sda1 1.1G 512k 1.0G 1% /\n";
    const { facts } = parseText(parseDf, text);
    expect(mount(facts.rows, "/x").size_bytes).toBe(4100);
    expect(mount(facts.rows, "/").size_bytes).toBe(1.1e9);
    expect(mount(facts.rows, "/").used_bytes).toBe(512000);
  });

  it("reads df --output, BSD inode columns, 512-blocks and -BM", () => {
    const out = parseText(
      parseDf,
      "Filesystem Type Inodes IUsed IFree IUse% 1K-blocks Used Avail Use% File Mounted on\n" +
        "/dev/vda ext4 16777216 419815 16357401 3% 264212084 23520144 82870768 23% - /\n",
    ).facts.rows[0];
    expect(out).toMatchObject({
      inodes: 16777216,
      iuse_pct: 3,
      size_bytes: 264212084 * K,
      use_pct: 23,
      file: "-",
    });
    const bsd = parseText(
      parseDf,
      "Filesystem 512-blocks Used Available Capacity iused ifree %iused Mounted on\n" +
        "/dev/disk1s1 489620264 237391224 245114792 50% 1612012 9223372036853163795 0% /\n" +
        "map auto_home 0 0 0 100% 0 0 100% /System/Volumes/Data/home\n",
    ).facts.rows;
    expect(bsd[0]).toMatchObject({
      size_bytes: 489620264 * 512,
      iused: 1612012,
      iuse_pct: 0,
      use_pct: 50,
    });
    expect(bsd[0].inodes).toBe(1612012 + Number("9223372036853163795"));
    expect(bsd[1]).toMatchObject({ filesystem: "map auto_home", pseudo: true });
    const bm = parseText(
      parseDf,
      "Filesystem 1M-blocks Used Available Use% Mounted on\ntmpfs 24106M 2M 24105M 1% /dev/shm\n",
    );
    expect(bm.facts.rows[0].size_bytes).toBe(24106 * M);
  });

  it("marks network filesystems (scenario 03, NFS PVC at 100 % inodes)", () => {
    const text =
      "Filesystem                                              Inodes   IUsed   IFree IUse% Mounted on\n" +
      "overlay                                                3268608 1108536 2160072   34% /\n" +
      "10.43.154.39:/pvc-c61f583c-2fc3-48ac-a335-016f3e061322  131072  131072       0  100% /opt/odoo/web\n";
    const { facts } = parseText(parseDf, text);
    expect(facts.rows[0].pseudo).toBe(true);
    expect(facts.worst_inodes).toMatchObject({
      mount: "/opt/odoo/web",
      network: true,
      iuse_pct: 100,
    });
  });

  it("accepts header-only output and records prompts and elisions", () => {
    const { facts } = parseText(parseDf, "Filesystem 1K-blocks Used Available Use% Mounted on\n");
    expect(facts.rows).toEqual([]);
    const { problems } = parseText(
      parseDf,
      "$ df -h\nFilesystem Size Used Avail Use% Mounted on\n/dev/sda1 20G 5G 15G 25% /\n...\n",
    );
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseDf, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseDf, "\u0000\u00ff garbage\n\u0001\u0002")).toThrow(
      UnrecognisedOutputError,
    );
  });

  const jcFiles = [
    "df/vm-debian12-k6.18__df-lPkT.txt",
    "df/jc__centos-7.7__df.out.txt",
    "df/insights-core__test_df__DF_ALP.txt",
    "df/jc__generic__df-long-filesystem.out.txt",
  ];
  it.skipIf(!hasJc).each(jcFiles)(
    `agrees with jc --df on blocks, use% and mount: %s${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    (file) => {
      const ours = parseFixture(parseDf, file).facts.rows;
      const theirs = JSON.parse(
        execFileSync(JC, ["--df"], {
          // jc reads df's table only: leave out df's own error lines and blank lines
          input: readFileSync(fixturePath(file), "utf8").replace(/^(\/bin\/df: .*|)\n/gm, ""),
        }).toString(),
      ) as Record<string, number | string | null>[];
      expect(theirs).toHaveLength(ours.length);
      theirs.forEach((j, i) => {
        const o = ours[i];
        const blocks = (j["1k_blocks"] ?? j["1024_blocks"]) as number;
        expect([o.filesystem, o.mount]).toEqual([j.filesystem, j.mounted_on]);
        expect([o.size_bytes, o.used_bytes, o.avail_bytes]).toEqual([
          blocks * K,
          (j.used as number) * K,
          (j.available as number) * K,
        ]);
        expect(o.use_pct).toBe(j.use_percent ?? j.capacity_percent ?? null);
      });
    },
  );
});
