import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { factsOf, n, pct, round } from "./util.js";

/**
 * Kernel tunables judged against the size of the host they run on: a setting is only too
 * large or too small for some amount of memory. Memory is `MemTotal` of /proc/meminfo (kB).
 *
 * - Dirty limit (kernel Documentation/admin-guide/sysctl/vm.rst, dirty_bytes / dirty_ratio;
 *   defaults 20 % and 10 % in mm/page-writeback.c): `vm.dirty_bytes` when set, else
 *   `vm.dirty_ratio` of MemTotal. The kernel applies the ratio to dirtyable memory (free pages
 *   plus file pages, `global_dirtyable_memory`), which MemTotal bounds: the fact is the most
 *   dirty data writers may build up before they are throttled.
 * - `vm.min_free_kbytes` as a share of MemTotal. The kernel sets it to sqrt(16 × lowmem kB)
 *   (mm/page_alloc.c), raised for transparent huge pages by
 *   `set_recommended_min_free_kbytes` (mm/khugepaged.c), which never reserves more than 5 %
 *   of lowmem: above 5 % the value was set by hand.
 * - `fs.file-max` against the kernel's own default for this memory: `files_maxfiles_init`
 *   (fs/file_table.c) allows one file per KiB of a tenth of memory ("one file with
 *   associated inode and dcache is very roughly 1K"), at least NR_FILE = 8192.
 * - `kernel.threads-max` against the kernel's default for this memory: `set_max_threads`
 *   (kernel/fork.c) lets thread stacks take an eighth of memory, MemTotal / (8 × THREAD_SIZE),
 *   THREAD_SIZE being 16 KiB on x86_64 and arm64: MemTotal kB / 128.
 */

/** NR_FILE (include/linux/fs.h): the smallest default fs.file-max. */
const NR_FILE = 8192;
/** kB of memory per thread in kernel/fork.c's default: 8 × THREAD_SIZE (16 KiB on x86_64, arm64). */
const KB_PER_THREAD = 8 * 16;

const provides: ModuleFactSpec[] = [
  {
    path: "tunables.dirty_limit_kb",
    type: "number",
    unit: "kB",
    doc: "Most dirty page cache writers may build up before they are throttled: vm.dirty_bytes, else vm.dirty_ratio of MemTotal.",
    says: "a dirty limit of {}",
  },
  {
    path: "tunables.dirty_limit_pct_of_mem",
    type: "number",
    unit: "%",
    doc: "That limit as a share of MemTotal (vm.dirty_ratio itself when vm.dirty_bytes is 0; the kernel default is 20).",
    says: "a dirty limit of {} of memory",
  },
  {
    path: "tunables.min_free_pct_of_mem",
    type: "number",
    unit: "%",
    doc: "vm.min_free_kbytes as a share of MemTotal (the kernel never sets more than 5 %).",
    says: "vm.min_free_kbytes at {} of memory",
  },
  {
    path: "tunables.file_max_default",
    type: "number",
    unit: "handles",
    doc: "The kernel's default fs.file-max for this memory: MemTotal kB / 10, at least 8192 (fs/file_table.c).",
  },
  {
    path: "tunables.file_max_pct_of_default",
    type: "number",
    unit: "%",
    doc: "fs.file-max as a share of the kernel's default for this memory.",
    says: "fs.file-max at {} of the kernel's default for this memory",
  },
  {
    path: "tunables.threads_max_default",
    type: "number",
    unit: "threads",
    doc: "The kernel's default kernel.threads-max for this memory: MemTotal kB / 128 (kernel/fork.c, 16 KiB stacks).",
  },
  {
    path: "tunables.threads_max_pct_of_default",
    type: "number",
    unit: "%",
    doc: "kernel.threads-max as a share of the kernel's default for this memory.",
    says: "kernel.threads-max at {} of the kernel's default for this memory",
  },
];

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const sysctl = factsOf(parsed, "sysctl");
  const memTotal = n(factsOf(parsed, "meminfo")?.mem_total_kb);
  if (!sysctl || memTotal === undefined || memTotal <= 0) return bag;
  const mem = `MemTotal: ${memTotal} kB`;

  const ratio = n(sysctl.vm_dirty_ratio);
  const bytes = n(sysctl.vm_dirty_bytes);
  const limit = bytes ? bytes / 1024 : ratio !== undefined ? (ratio / 100) * memTotal : undefined;
  if (limit !== undefined) {
    const setting = bytes ? `vm.dirty_bytes = ${bytes}` : `vm.dirty_ratio = ${ratio}`;
    const line = `${setting}; ${mem}`;
    bag.set("tunables.dirty_limit_kb", Math.round(limit), "sysctl", line);
    bag.set("tunables.dirty_limit_pct_of_mem", pct(limit, memTotal), "sysctl", line);
  }

  const minFree = n(sysctl.vm_min_free_kbytes);
  const minLine = `vm.min_free_kbytes = ${minFree}; ${mem}`;
  bag.set("tunables.min_free_pct_of_mem", pct(minFree, memTotal), "sysctl", minLine);

  const fileMax = n(sysctl.fs_file_max);
  const byDefault = Math.max(Math.floor(memTotal / 10), NR_FILE);
  const fileLine = `fs.file-max = ${fileMax}; ${mem}`;
  bag.set("tunables.file_max_default", byDefault, "meminfo", mem);
  if (fileMax !== undefined) {
    bag.set(
      "tunables.file_max_pct_of_default",
      round((fileMax / byDefault) * 100),
      "sysctl",
      fileLine,
    );
  }

  const threadsMax = n(sysctl.kernel_threads_max);
  const threadsDefault = Math.floor(memTotal / KB_PER_THREAD);
  const threadLine = `kernel.threads-max = ${threadsMax}; ${mem}`;
  bag.set("tunables.threads_max_default", threadsDefault, "meminfo", mem);
  if (threadsMax !== undefined && threadsDefault > 0) {
    const share = round((threadsMax / threadsDefault) * 100);
    bag.set("tunables.threads_max_pct_of_default", share, "sysctl", threadLine);
  }
  return bag;
}

/** The `tunables` derive module (see the header comment of this file). */
export const tunablesModule: DeriveModule = {
  id: "tunables",
  needs: ["sysctl", "meminfo"],
  provides,
  derive,
};
