import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A throw-away cgroup for one fault, on whichever hierarchy carries the controller here:
 * - cgroup v1: a `cgroup` mount whose options name the controller (`blkio` for I/O);
 * - cgroup v2: a `cgroup2` mount whose root `cgroup.controllers` lists it (`io` for I/O).
 *   A hybrid host's `unified` mount usually lists none and is skipped, as the collectors do.
 *
 * Processes are started inside it (the shell moves itself into `cgroup.procs`, then execs the
 * command), so nothing runs outside the limit even for a moment. `destroy()` kills every
 * process in it, waits for them to go and removes the directory.
 */
export type Controller = "cpu" | "memory" | "pids" | "io";

const V1_NAME: Record<Controller, string> = {
  cpu: "cpu",
  memory: "memory",
  pids: "pids",
  io: "blkio",
};

export interface Hierarchy {
  mount: string;
  version: 1 | 2;
}

/** The hierarchy carrying `controller`, v1 first (as on this VM), or undefined. */
export function hierarchyOf(controller: Controller): Hierarchy | undefined {
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n");
  let v2: Hierarchy | undefined;
  for (const line of mounts) {
    const [, mount, type, opts] = line.split(" ");
    if (type === "cgroup" && opts.split(",").includes(V1_NAME[controller])) {
      return { mount, version: 1 };
    }
    if (type === "cgroup2" && !v2) {
      const list = join(mount, "cgroup.controllers");
      const have = existsSync(list) ? readFileSync(list, "utf8").trim().split(/\s+/) : [];
      if (have.includes(controller)) v2 = { mount, version: 2 };
    }
  }
  return v2;
}

export class TestCgroup {
  readonly hierarchy: Hierarchy;
  /** Directory of the cgroup, e.g. /sys/fs/cgroup/cpu/diagbot-fault-throttle-123. */
  readonly path: string;
  /** The cgroup as diagbot names it: its path below the hierarchy root, `/diagbot-…`. */
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly controller: Controller,
    label: string,
  ) {
    const h = hierarchyOf(controller);
    if (!h) throw new Error(`no cgroup hierarchy with the ${controller} controller is mounted`);
    this.hierarchy = h;
    if (h.version === 2) {
      // Controllers reach a child only when the parent enables them for its subtree.
      const sub = join(h.mount, "cgroup.subtree_control");
      if (!readFileSync(sub, "utf8").split(/\s+/).includes(controller)) {
        writeFileSync(sub, `+${controller}`);
      }
    }
    const base = `diagbot-fault-${label}-${process.pid}`;
    this.path = join(h.mount, base);
    this.name = `/${base}`;
    mkdirSync(this.path);
  }

  get version(): 1 | 2 {
    return this.hierarchy.version;
  }

  write(file: string, value: string): void {
    writeFileSync(join(this.path, file), value);
  }

  read(file: string): string {
    return readFileSync(join(this.path, file), "utf8");
  }

  /** CFS bandwidth: `cpus` CPUs per 100 ms period (v1 cfs_quota_us / v2 cpu.max). */
  limitCpu(cpus: number): void {
    const period = 100_000;
    const quota = Math.max(1000, Math.round(cpus * period));
    if (this.version === 1) {
      this.write("cpu.cfs_period_us", String(period));
      this.write("cpu.cfs_quota_us", String(quota));
    } else {
      this.write("cpu.max", `${quota} ${period}`);
    }
  }

  /** Memory limit (v1 memory.limit_in_bytes / v2 memory.max, with no swap to escape to). */
  limitMemory(bytes: number): void {
    if (this.version === 1) {
      this.write("memory.limit_in_bytes", String(bytes));
      return;
    }
    this.write("memory.max", String(bytes));
    if (existsSync(join(this.path, "memory.swap.max"))) this.write("memory.swap.max", "0");
  }

  /** Task limit (pids.max, the same file in both versions). */
  limitPids(max: number): void {
    this.write("pids.max", String(max));
  }

  /** I/O operations per second on a whole disk `maj:min` (v1 blkio.throttle / v2 io.max). */
  limitIops(device: string, iops: number): void {
    if (this.version === 1) {
      this.write("blkio.throttle.read_iops_device", `${device} ${iops}`);
      this.write("blkio.throttle.write_iops_device", `${device} ${iops}`);
    } else {
      this.write("io.max", `${device} riops=${iops} wiops=${iops}`);
    }
  }

  /** Starts `command args…` inside the cgroup, in its own process group. */
  spawn(command: string, args: string[], stdout: "pipe" | "ignore" = "ignore"): ChildProcess {
    const procs = join(this.path, "cgroup.procs");
    const child = spawn("/bin/sh", ["-c", 'echo $$ > "$0" && exec "$@"', procs, command, ...args], {
      detached: true,
      stdio: ["ignore", stdout, "inherit"],
    });
    this.children.push(child);
    return child;
  }

  /** Pids now in the cgroup. */
  pids(): number[] {
    try {
      return this.read("cgroup.procs")
        .split("\n")
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
    } catch {
      return [];
    }
  }

  /** Kills everything in the cgroup and removes it. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const c of this.children) {
      try {
        if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (!existsSync(this.path)) return;
    const end = Date.now() + 10_000;
    for (;;) {
      const left = this.pids();
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      try {
        rmdirSync(this.path);
        return;
      } catch (err) {
        if (Date.now() > end) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Resolves when the child exits: its exit code or the signal that ended it. */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Resolves with the child's first stdout line (a readiness message). */
export function firstLine(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(
      () => reject(new Error(`no output within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout!.on("data", (b) => {
      buf += String(b);
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before it was ready`));
    });
  });
}
