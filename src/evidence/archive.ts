import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DiagbotError } from "../model/errors.js";
import { sosFileId } from "./sos.js";

const run = promisify(execFile);

/**
 * A sos report archive (`.tar.xz`, also gzip or bzip2) is hostile input: it is listed first
 * with GNU tar (`tar --list --verbose`, run without a shell), and only its regular files that
 * a collector reads are extracted, by exact name, into a private temporary folder (mkdtemp,
 * mode 0700) that the caller removes. Refused and reported: links (symbolic and hard),
 * devices, absolute names and names with a `..` part; the whole archive is refused when its
 * listing or the files to extract go over the caps below.
 */

/** Caps: entries in the listing, bytes and files extracted, seconds tar may take. */
export const ARCHIVE_LIMITS = {
  entries: 200_000,
  listingBytes: 64 << 20,
  bytes: 512 << 20,
  files: 5_000,
  seconds: 120,
};

export interface Extracted {
  /** The private folder: remove it with {@link removeExtracted}. */
  dir: string;
  /** Entries not extracted, each with the reason. */
  refused: { name: string; why: string }[];
}

interface Entry {
  type: string;
  size: number;
  name: string;
}

/** One line of `tar --list --verbose` (GNU tar, LC_ALL=C, --quoting-style=escape). */
function entryOf(line: string): Entry | undefined {
  const m =
    /^(\S)\S{9}\S*\s+\S+\s+(\d+|\d+,\s*\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? (.*)$/.exec(line);
  if (!m) return undefined;
  let name = m[3];
  if (m[1] === "l") name = name.replace(/ -> .*$/, "");
  if (m[1] === "h" || / link to /.test(name)) name = name.replace(/ link to .*$/, "");
  return { type: m[1], size: /,/.test(m[2]) ? 0 : Number(m[2]), name };
}

function refusal(e: Entry): string | undefined {
  if (e.type === "l") return "a symbolic link";
  if (e.type === "h") return "a hard link";
  if (e.type !== "-" && e.type !== "d") return "not a regular file";
  if (e.name.startsWith("/")) return "an absolute path";
  if (e.name.split("/").includes("..")) return "a path with `..`";
  if (/\\/.test(e.name)) return "a name with escaped characters";
  return undefined;
}

/** Lists and extracts `archive`; throws DiagbotError "bundle" with what to do when refused. */
export async function extractSosArchive(archive: string): Promise<Extracted> {
  const listing = await tar(
    ["--list", "--verbose", "--quoting-style=escape", "--file", archive],
    archive,
  );
  const lines = listing.split("\n").filter((l) => l !== "");
  if (lines.length > ARCHIVE_LIMITS.entries)
    throw refused(archive, `it holds more than ${ARCHIVE_LIMITS.entries} entries`);
  const refusedList: { name: string; why: string }[] = [];
  const wanted: string[] = [];
  const kinds = new Map<string, string>();
  let bytes = 0;
  for (const line of lines) {
    const e = entryOf(line);
    if (!e) {
      refusedList.push({ name: line.slice(0, 200), why: "not a line of tar's listing" });
      continue;
    }
    const why = refusal(e);
    // A name listed twice (a file, then a link of that name) is refused as a whole.
    if (kinds.has(e.name) && kinds.get(e.name) !== e.type)
      refusedList.push({ name: e.name, why: "listed twice with different types" });
    kinds.set(e.name, kinds.has(e.name) && kinds.get(e.name) !== e.type ? "conflict" : e.type);
    if (why) {
      refusedList.push({ name: e.name, why: `${why}, not extracted` });
      continue;
    }
    if (e.type !== "-" || !sosFileId(inReport(e.name))) continue;
    wanted.push(e.name);
    bytes += e.size;
  }
  const files = wanted.filter((n) => kinds.get(n) === "-");
  if (files.length > ARCHIVE_LIMITS.files)
    throw refused(
      archive,
      `it has ${files.length} files to read, over the cap of ${ARCHIVE_LIMITS.files}`,
    );
  if (bytes > ARCHIVE_LIMITS.bytes)
    throw refused(
      archive,
      `its files to read hold ${bytes} bytes, over the cap of ${ARCHIVE_LIMITS.bytes >> 20} MiB`,
    );
  const dir = await mkdtemp(join(tmpdir(), "diagbot-sos-"));
  await chmod(dir, 0o700);
  if (files.length === 0) return { dir, refused: refusedList };
  try {
    await tar(
      [
        "--extract",
        "--file",
        archive,
        "--directory",
        dir,
        "--no-same-owner",
        "--no-same-permissions",
        "--no-wildcards",

        "--keep-old-files",
        "--",
        ...files,
      ],
      archive,
    );
  } catch (err) {
    await removeExtracted(dir);
    throw err;
  }
  return { dir, refused: refusedList };
}

/** A name relative to the report's root: without `./` and the `sosreport-…/` folder. */
function inReport(name: string): string {
  const n = name.replace(/^(?:\.\/)+/, "");
  return /^(?:sos_commands|proc|sys|var)\//.test(n) ? n : n.replace(/^[^/]+\//, "");
}

export async function removeExtracted(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

async function tar(args: string[], archive: string): Promise<string> {
  try {
    const { stdout } = await run("tar", args, {
      env: { LC_ALL: "C", PATH: "/usr/bin:/bin" },
      maxBuffer: ARCHIVE_LIMITS.listingBytes,
      timeout: ARCHIVE_LIMITS.seconds * 1000,
      encoding: "utf8",
    });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    if (e.code === "ENOENT")
      throw refused(archive, "GNU tar is not installed (Debian package tar)");
    if (e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")
      throw refused(archive, `its listing is over ${ARCHIVE_LIMITS.listingBytes >> 20} MiB`);
    if (e.killed) throw refused(archive, `tar took more than ${ARCHIVE_LIMITS.seconds} s`);
    throw refused(
      archive,
      `tar could not read it: ${(e.stderr ?? e.message).trim().split("\n").slice(-2).join(" / ")}`,
    );
  }
}

function refused(archive: string, why: string): DiagbotError {
  return new DiagbotError("bundle", `${archive}: sos report archive refused: ${why}`, {
    hint: "extract it yourself into a folder and give the folder to --from",
  });
}
