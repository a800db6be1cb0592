import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { categories, diagnoseLocal, evidenceText } from "./helpers.js";

/**
 * A listener with a backlog of 1 that never accepts, hit by a steady stream of connects: its
 * accept queue stays full (Recv-Q above Send-Q) and the kernel counts ListenOverflows.
 */
function startListener(): Promise<{ child: ChildProcess; port: number }> {
  const code = [
    "import socket, sys, time",
    "s = socket.socket()",
    "s.bind(('127.0.0.1', 0))",
    "s.listen(1)",
    "print(s.getsockname()[1], flush=True)",
    "time.sleep(120)",
  ].join("\n");
  const child = spawn("python3", ["-c", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (b) => resolve({ child, port: Number(String(b).trim()) }));
    child.once("error", reject);
  });
}

describe("fault: listen queue overflow", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it("control: a listener that accepts gives no overflow finding for its port", async () => {
    const { child, port } = await startListener();
    cleanups.push(() => child.kill("SIGKILL"));
    const report = await diagnoseLocal("network");
    const mine = report.hypotheses.filter(
      (h: any) => h.category === "network-listen-overflow" && evidenceText(h).includes(`:${port}`),
    );
    expect(mine).toEqual([]);
  });

  it("names network-listen-overflow first, citing the port", async () => {
    const { child, port } = await startListener();
    const sockets: Socket[] = [];
    const storm = setInterval(() => {
      for (let i = 0; i < 10 && sockets.length < 400; i++) {
        const s = connect({ host: "127.0.0.1", port });
        s.on("error", () => {});
        sockets.push(s);
      }
    }, 100);
    cleanups.push(() => {
      clearInterval(storm);
      for (const s of sockets) s.destroy();
      child.kill("SIGKILL");
    });
    await new Promise((r) => setTimeout(r, 1500));
    const report = await diagnoseLocal("network");
    expect(categories(report)[0]).toBe("network-listen-overflow");
    expect(evidenceText(report.hypotheses[0])).toContain(`:${port}`);
  });
});
