import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DfRow, parseDf } from "../../src/parsers/df.js";
import {
  dec,
  left,
  parseCut,
  parseText,
  permutationKeys,
  permute,
  RUNS,
  right,
  truncateLastLine,
} from "./render.js";

/**
 * coreutils `df`: `-P`, the wrapping non-P layout, `-T`, `-i`, `-h`, `-BM`, `512-blocks`
 * (POSIXLY_CORRECT) and `--output` with its fields in any order between the source and the
 * mount point. Generated filesystems are rendered, parsed and compared, in bytes.
 */

/** Type → [pseudo, network], as df.ts documents them (a small sample of each kind). */
const TYPES: Record<string, [boolean, boolean]> = {
  ext4: [false, false],
  xfs: [false, false],
  btrfs: [false, false],
  vfat: [false, false],
  tmpfs: [true, false],
  devtmpfs: [true, false],
  overlay: [true, false],
  squashfs: [true, false],
  nfs4: [false, true],
  cifs: [false, true],
};
/** The source df prints for a type (the classification without `-T` goes by it). */
function sourceOf(type: string, n: number, long: boolean): string {
  if (type === "nfs4") return `nas${n}.example.net:/export/home${long ? "/a/very/long/path" : ""}`;
  if (type === "cifs") return `//files${n}/share`;
  if (TYPES[type][0]) return type === "devtmpfs" ? "udev" : type;
  return long ? `/dev/mapper/vg_data${n}-lv_with_a_long_name` : `/dev/sd${"abcdefgh"[n % 8]}${n}`;
}

const fsArb = fc.record({
  type: fc.constantFrom(...Object.keys(TYPES)),
  blocks: fc.integer({ min: 0, max: 2 ** 40 }),
  usedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  inodes: fc.integer({ min: 0, max: 2 ** 32 }),
  iusedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  mount: fc.constantFrom("/", "/home", "/var/lib/docker", "/mnt/my disk", "/boot/efi", "/srv/data"),
  longSource: fc.boolean(),
  /** df -h: the size as printed, mantissa in tenths and a power of 1024. */
  human: fc.tuple(
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 1023 }),
    fc.integer({ min: 1, max: 5 }),
  ),
});

/** --output fields (header, key), source first and target last. */
const OUTPUT_MIDDLE = [
  ["Type", "type"],
  ["Inodes", "inodes"],
  ["IUsed", "iused"],
  ["IFree", "ifree"],
  ["IUse%", "iuse_pct"],
  ["1K-blocks", "size"],
  ["Used", "used"],
  ["Avail", "avail"],
  ["Use%", "use_pct"],
  ["File", "file"],
] as const;

const run = fc.record({
  mode: fc.constantFrom("P", "wrap", "h", "i", "BM", "512", "output"),
  typed: fc.boolean(),
  comma: fc.boolean(),
  filesystems: fc.array(fsArb, { minLength: 0, maxLength: 8 }),
  order: permutationKeys(OUTPUT_MIDDLE.length),
  fields: fc.subarray([...OUTPUT_MIDDLE.keys()], { minLength: 1 }),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 5, nil: undefined }),
});

describe("df: generated tables parse back", () => {
  it("every filesystem in bytes and inodes, its kind, and the fullest one", () => {
    fc.assert(
      fc.property(run, (g) => {
        const out: string[] = [];
        const expected: DfRow[] = [];
        const typed = g.typed || g.mode === "P";
        let columns: (readonly [string, string])[];
        let unit = 1024;
        if (g.mode === "output") {
          columns = permute(
            g.fields.map((i) => OUTPUT_MIDDLE[i]),
            g.order,
          );
        } else if (g.mode === "i") {
          columns = [
            ["Inodes", "inodes"],
            ["IUsed", "iused"],
            ["IFree", "ifree"],
            ["IUse%", "iuse_pct"],
          ];
        } else {
          const size: Record<string, [string, number]> = {
            P: ["1024-blocks", 1024],
            wrap: ["1K-blocks", 1024],
            h: ["Size", 1],
            BM: ["1M-blocks", 1024 ** 2],
            "512": ["512-blocks", 512],
          };
          unit = size[g.mode][1];
          columns = [
            [size[g.mode][0], "size"],
            ["Used", "used"],
            [g.mode === "P" ? "Available" : "Avail", "avail"],
            [g.mode === "P" ? "Capacity" : "Use%", "use_pct"],
          ];
        }
        if (typed && g.mode !== "output") columns = [["Type", "type"], ...columns];
        out.push(
          `${left("Filesystem", 20)} ${columns.map(([h]) => right(h, 11)).join(" ")} Mounted on`,
        );

        g.filesystems.forEach((f, n) => {
          const [pseudo, network] = TYPES[f.type];
          const source = sourceOf(f.type, n, f.longSource);
          const used = Math.floor(f.blocks * f.usedShare);
          const avail = f.blocks - used;
          const usePct = f.blocks === 0 ? null : Math.ceil((used / f.blocks) * 100);
          // vfat and btrfs have no inode table: df prints 0 0 0 -
          const inodeless = f.type === "vfat" || f.type === "btrfs";
          const inodes = inodeless ? 0 : f.inodes;
          const iused = Math.floor(inodes * f.iusedShare);
          const ipct = inodes === 0 ? null : Math.ceil((iused / inodes) * 100);
          const row: Record<string, unknown> = { filesystem: source };
          const cells: string[] = [];
          for (const [, key] of columns) {
            switch (key) {
              case "type":
                cells.push(f.type);
                row.type = f.type;
                break;
              case "size":
              case "used":
              case "avail": {
                const blocks = { size: f.blocks, used, avail }[key];
                if (g.mode === "h") {
                  // -h: the size as printed, and the same rounding for used and avail
                  const [whole, frac, power] = f.human;
                  const value =
                    key === "size" ? whole + frac / 1000 : (whole * (key === "used" ? 1 : 2)) / 10;
                  const text =
                    key === "size" ? dec(Math.round(value * 10) / 10, 1, g.comma) : String(value);
                  cells.push(`${text}${"KMGTP"[power - 1]}`);
                  const printed = Number(text.replace(",", "."));
                  row[`${key}_bytes`] = Math.round(printed * 1024 ** power);
                  row.approximate = true;
                } else if (g.mode === "BM") {
                  cells.push(`${blocks}M`);
                  row[`${key}_bytes`] = blocks * 1024 ** 2;
                } else {
                  cells.push(String(blocks));
                  row[`${key}_bytes`] = blocks * unit;
                }
                break;
              }
              case "use_pct":
                cells.push(usePct === null ? "-" : `${usePct}%`);
                row.use_pct = usePct;
                break;
              case "inodes":
                cells.push(String(inodes));
                row.inodes = inodes;
                break;
              case "iused":
                cells.push(String(iused));
                row.iused = iused;
                break;
              case "ifree":
                cells.push(String(inodes - iused));
                row.ifree = inodes - iused;
                break;
              case "iuse_pct":
                cells.push(ipct === null ? "-" : `${ipct}%`);
                row.iuse_pct = ipct;
                break;
              case "file":
                cells.push("-");
                row.file = "-";
                break;
            }
          }
          const keys = columns.map(([, k]) => k);
          if (
            ["iused", "ifree", "iuse_pct"].every((k) => keys.includes(k)) &&
            !keys.includes("inodes")
          ) {
            row.inodes = inodes; // BSD prints no total: iused + ifree
          }
          row.mount = f.mount;
          row.pseudo = pseudo;
          row.network = network;
          const values = `${cells.map((c) => right(c, 11)).join(" ")} ${f.mount}`;
          if (g.mode === "wrap" && source.length > 20) {
            out.push(source, `${" ".repeat(21)}${values}`);
          } else out.push(`${left(source, 20)} ${values}`);
          expected.push(row as unknown as DfRow);
        });
        const text = out.join("\n");

        if (g.truncate !== undefined && expected.length > 0) {
          const cut = parseCut(parseDf, truncateLastLine(text, g.truncate).text);
          expect(cut?.facts.rows.slice(0, expected.length - 1)).toEqual(expected.slice(0, -1));
          return;
        }
        const { facts, problems } = parseText(parseDf, text);
        expect(problems).toEqual([]);
        expect(facts.rows).toEqual(expected);
        const real = expected.filter((r) => !r.pseudo && r.use_pct != null);
        const worst = real.reduce<DfRow | undefined>(
          (a, b) => (a === undefined || b.use_pct! > a.use_pct! ? b : a),
          undefined,
        );
        expect(facts.worst).toEqual(worst);
      }),
      { numRuns: RUNS },
    );
  });
});
