import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SAFE_PATH } from "../../src/collectors/command.js";
import type { Collector } from "../../src/collectors/types.js";
import { collect } from "../../src/engine/collect.js";
import { type Progress, progressText } from "../../src/model/progress.js";
import { COLLECTORS } from "../../src/sources/collectors.js";
import { LocalTransport } from "../../src/transport/local.js";

const byId = (id: string) => COLLECTORS.find((c) => c.id === id)!;

/** Collectors made for the test, running real commands that misbehave in known ways. */
const notInstalled: Collector = {
  id: "not-installed",
  title: "a tool that is not installed",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 1024,
  package: "made-up-tools",
  command: () => ({ argv: ["diagbot-no-such-tool", "-x"] }),
};
const failing: Collector = {
  ...notInstalled,
  id: "failing",
  package: undefined,
  command: () => ({ argv: ["cat", "/proc/diagbot-no-such-file"] }),
};
const chatty: Collector = {
  ...notInstalled,
  id: "chatty",
  capBytes: 1000,
  command: () => ({ argv: ["head", "-c", "5000", "/dev/zero"] }),
};
const slow: Collector = {
  ...notInstalled,
  id: "slow",
  cost: "sampling",
  timeoutSeconds: 1,
  command: () => ({ argv: ["sleep", "30"] }),
};
/** Sampling collectors run under nice/ionice, which report a missing program in their own words. */
const notInstalledSampling: Collector = {
  ...notInstalled,
  id: "not-installed-sampling",
  cost: "sampling",
};
const perPid: Collector = {
  ...notInstalled,
  id: "per-pid",
  needsPid: true,
  command: (ctx) => (ctx.pids.length ? { argv: ["true"] } : null),
};

/** Prints the environment it runs under: the window script runs it without its own `env`. */
const environment: Collector = {
  ...notInstalled,
  id: "environment",
  package: undefined,
  command: () => {
    const script = 'printf "%s|%s|%s\\n" "$LC_ALL" "$S_TIME_FORMAT" "$PATH"';
    return { argv: ["sh", "-c", script], script };
  },
};

/** A local transport that counts its execs; `noFolder` makes the host refuse scripts a folder. */
class CountingTransport extends LocalTransport {
  execs = 0;
  constructor(private readonly noFolder?: string) {
    super();
  }
  override exec(command: string, options: Parameters<LocalTransport["exec"]>[1]) {
    this.execs++;
    // A parent folder that is a symlink is refused (host-tmp.ts), as on a host without /tmp.
    const text = this.noFolder
      ? command.replaceAll("/tmp/diagbot.$(id -u)", this.noFolder)
      : command;
    return super.exec(text, options);
  }
}

describe.each([
  ["in one exec", undefined],
  ["one exec per sampler when the host gives no folder", "link"],
])("collect on this machine, %s", (_, noFolder) => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs cheap, windowed and sampling collectors over one window, each with its status", async () => {
    if (noFolder) {
      dir = mkdtempSync(join(tmpdir(), "diagbot-test-nofolder-"));
      symlinkSync(dir, join(dir, noFolder));
    }
    const transport = new CountingTransport(dir && join(dir, noFolder!));
    const progress: Progress[] = [];
    const started = Date.now();
    const outputs = await collect(
      transport,
      [
        byId("uptime"),
        byId("proc-stat"),
        byId("vmstat"),
        notInstalled,
        notInstalledSampling,
        failing,
        chatty,
        slow,
        perPid,
        environment,
      ],
      { windowSeconds: 1, pids: [], sudo: false, onProgress: (p) => progress.push(p) },
    );
    await transport.close();
    const got = Object.fromEntries(outputs.map((o) => [o.id, o]));
    expect(got.uptime.status).toBe("ok");
    expect(got.uptime.out!.toString()).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+\n/);
    expect(got["proc-stat"].status).toBe("ok");
    expect(got["proc-stat"].start!.toString()).toMatch(/^cpu /);
    expect(got.vmstat.status).toBe("ok");
    expect(got.vmstat.command).toMatch(
      /^timeout -s INT -k 2 \d+ env LC_ALL=C .* nice -n 10 ionice -c 2 -n 7 vmstat /,
    );
    // Run under LC_ALL=C and the fixed PATH, by its own `env` or by the window script's.
    expect(got.environment.out!.toString()).toBe(`C|ISO|${SAFE_PATH}\n`);
    expect(got.environment.command).toContain(`env LC_ALL=C S_TIME_FORMAT=ISO PATH=${SAFE_PATH} `);
    expect(got["not-installed"]).toMatchObject({ status: "missing", error: /made-up-tools/ });
    expect(got["not-installed-sampling"]).toMatchObject({
      status: "missing",
      error: /made-up-tools/,
    });
    expect(got.failing).toMatchObject({ status: "failed", error: /No such file/ });
    expect(got.chatty).toMatchObject({ status: "ok", truncated: true });
    expect(got.chatty.out!.length).toBe(1000);
    expect(got.slow.status).toBe("timeout");
    expect(got["per-pid"]).toMatchObject({ status: "skipped", error: /--pid/ });
    // Every finish is told, counts only rise, and the window is counted down with the
    // samplers still running.
    const counts = progress.map((p) => p.done);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({
      done: outputs.length,
      total: outputs.length,
      running: [],
    });
    const sampling = progress.find((p) => p.phase === "sampling");
    expect(sampling).toMatchObject({ windowSeconds: 1, windowLeft: 1 });
    expect(sampling?.running).toContain("vmstat");
    expect(progressText(sampling as Progress)).toMatch(
      /^sampling: 1 s left of 1 s \(.*vmstat.*\), \d+\/10 collectors done$/,
    );
    // One window for everything: the slow collector is bounded at 1 s + 1 s window.
    expect(Date.now() - started).toBeLessThan(10_000);
    // One exec for the window; without a folder, the start and end reads, the cheap reads
    // and each of the three samplers apart (plus the refused try).
    expect(transport.execs).toBe(noFolder ? 7 : 1);
  });
});
