import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CollectedOutput } from "../model/collected.js";
import { recognise } from "./commands.js";
import { shapeOutput } from "./shape.js";
import type { EvidenceRead } from "./types.js";

/**
 * Reads a sos report directory (sosreport 3.x and sos 4.x, as Red Hat, Debian and Ubuntu ship
 * them; checked against sos 4.0's output on Debian 12) into collector outputs:
 * - `sos_commands/<plugin>/<command line>`: the file name is the command with blanks turned
 *   into `_` and `/` into `.` (`df_-al_-x_autofs`, `netstat_-W_-neopa`, `uname_-a`,
 *   `sysctl_-a`, `ethtool_-S_eth0`, `journalctl_--no-pager_--boot_-k`), so it names its collector
 *   as a pasted command does;
 * - `proc/*`, `proc/<pid>/net/*` (the `proc/net` link's target), `sys/*`: by path, as
 *   `cat PATH` does (meminfo, stat, diskstats, vmstat, zoneinfo, pressure, sockstat,
 *   clocksource, nf_conntrack_count/max, file-nr);
 * - `var/log/kern.log`, `messages`, `syslog`, `dmesg`: the kernel log, when no
 *   `sos_commands/kernel/dmesg` or kernel journal was captured.
 * Links are never followed (the report's own top-level links point into `sos_commands`).
 * Files no collector reads are counted in one line of `ignored`.
 */

/** Per collector, paths matching an earlier pattern win over later ones. */
const PREFERRED: Record<string, RegExp[]> = {
  dmesg: [
    /^sos_commands\/kernel\/dmesg/,
    /journalctl.*(?:_-k\b|--dmesg)/,
    /^var\/log\/kern\.log$/,
    /^var\/log\/(?:messages|syslog)$/,
  ],
  free: [/\/free$/],
  uptime: [/\/uptime$/, /^proc\/loadavg$/],
  sysctl: [/sysctl_-a$/],
  "netstat-conn": [/netstat_(?:-W_)?-neopa$/, /netstat_.*-\w*t\w*a|netstat_.*-\w*a\w*t/],
};

/** Collectors whose files are read together, each under its `==> name <==` marker. */
const SECTIONED = new Set([
  "ethtool-stats",
  "smartctl",
  "sockstat",
  "clocksource",
  "conntrack",
  "pressure-cpu",
  "pressure-memory",
  "pressure-io",
]);

const MAX_FILES = 50_000;
const MAX_FILE_BYTES = 64 << 20;

/** The report's root: `dir` itself or a child folder (`sosreport-*`), when it holds sos_commands. */
export async function sosRoot(dir: string): Promise<string | undefined> {
  if (await isDir(join(dir, "sos_commands"))) return dir;
  const children = await readdir(dir).catch(() => [] as string[]);
  for (const c of children) {
    if (await isDir(join(dir, c, "sos_commands"))) return join(dir, c);
  }
  return undefined;
}

async function isDir(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Relative paths of the regular files under `root` (links skipped), at most MAX_FILES. */
async function listFiles(root: string): Promise<{ files: string[]; links: number }> {
  const files: string[] = [];
  let links = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(root, rel)).catch(() => [] as string[])) {
      if (files.length >= MAX_FILES) return;
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, path)).catch(() => undefined);
      if (!st || st.isSymbolicLink()) links += st ? 1 : 0;
      else if (st.isDirectory()) {
        // Per-process directories hold nothing a collector reads but their net/ view.
        if (/^proc\/\d+$/.test(path)) {
          if (await isDir(join(root, path, "net"))) await walk(`${path}/net`);
        } else if (
          !/^(?:sys\/(?:devices\/(?!system\/clocksource)|module|firmware|bus|class|block|kernel\/slab)|etc|usr|lib|sos_logs|sos_reports)(?:\/|$)/.test(
            path,
          )
        )
          await walk(path);
      } else if (st.isFile()) files.push(path);
    }
  };
  await walk("");
  return { files, links };
}

/** The collector a file of the report is the output of, with the command it stands for. */
export function sosFileId(rel: string): { id: string; command: string } | undefined {
  const cmd = /^sos_commands\/[^/]+\/([^/]+)$/.exec(rel);
  if (cmd) {
    const command = cmd[1].replaceAll("_", " ").replace(/ \.(?=\w)/g, " /");
    const r = recognise(command);
    return r.id ? { id: r.id, command } : undefined;
  }
  const path = `/${rel.replace(/^proc\/\d+\/net\//, "proc/net/")}`;
  if (/^\/(?:proc|sys|var\/log)\//.test(path)) {
    const r = recognise(`cat ${path}`);
    // Single /proc/sys values are all in sysctl_-a already.
    if (r.id && r.id !== "sysctl") return { id: r.id, command: `cat ${path}` };
  }
  return undefined;
}

/** Reads a sos report rooted at `root`. */
export async function readSos(root: string, label: string): Promise<EvidenceRead> {
  const read: EvidenceRead = { outputs: [], ignored: [], notes: [], counts: [] };
  const { files, links } = await listFiles(root);
  if (files.length >= MAX_FILES)
    read.notes.push(`${label}: more than ${MAX_FILES} files; the rest were not looked at`);
  const byId = new Map<string, { rel: string; command: string }[]>();
  let unread = 0;
  for (const rel of files) {
    const hit = sosFileId(rel);
    if (!hit) {
      unread++;
      continue;
    }
    byId.set(hit.id, [...(byId.get(hit.id) ?? []), { rel, command: hit.command }]);
  }
  for (const [id, list] of byId) {
    const chosen = SECTIONED.has(id) ? list : [pick(id, list)];
    const parts: string[] = [];
    for (const f of chosen) {
      const st = await lstat(join(root, f.rel));
      if (st.size > MAX_FILE_BYTES) {
        read.ignored.push(
          `${label}/${f.rel}: ${st.size} bytes, over the ${MAX_FILE_BYTES >> 20} MiB a file is read up to`,
        );
        continue;
      }
      const text = (await readFile(join(root, f.rel), "utf8")).replace(/\n$/, "");
      const lines = shapeOutput(id, f.command, text === "" ? [] : text.split("\n"));
      if (SECTIONED.has(id) && !lines.some((l) => l.startsWith("==> ")))
        parts.push(`==> ${sectionName(id, f.rel)} <==`);
      parts.push(...lines);
    }
    if (parts.length === 0) continue;
    const output: CollectedOutput = {
      id,
      status: "ok",
      durationMs: 0,
      out: Buffer.from(`${parts.join("\n")}\n`),
      recognisedAs: `sos report ${chosen.map((f) => f.rel).join(", ")}`,
    };
    read.outputs.push(output);
  }
  if (unread + links > 0)
    read.ignored.push(
      `${label}: ${unread} files no collector reads${links > 0 ? `, ${links} links not followed` : ""}`,
    );
  return read;
}

function pick(
  id: string,
  list: { rel: string; command: string }[],
): { rel: string; command: string } {
  for (const re of PREFERRED[id] ?? []) {
    const hit = list.find((f) => re.test(f.rel));
    if (hit) return hit;
  }
  return list[0];
}

/**
 * The `==> name <==` of a sectioned file: the interface for ethtool, the disk for smartctl
 * (`smartctl_-a_.dev.sda` → `/dev/sda`), else the /proc or /sys path.
 */
function sectionName(id: string, rel: string): string {
  if (id === "ethtool-stats") return rel.replace(/^.*ethtool_-S_/, "");
  if (id === "smartctl") return rel.replace(/^.*_\.dev\./, "/dev/").replaceAll(".", "/");
  return `/${rel.replace(/^proc\/\d+\/net\//, "proc/net/")}`;
}
