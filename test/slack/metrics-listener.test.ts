import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { removePrefix, serveEnv, uniquePrefix } from "../helpers/redis.js";
import { type FakeSlack, startFakeSlack } from "../helpers/slack-api.js";

/**
 * `/metrics` on a listener of its own (`DIAGBOT_METRICS_LISTEN`, `--metrics-listen`), never on
 * the port that takes Slack's requests; the real `diagbot serve --http` and `diagbot worker`
 * processes, real Redis, the Slack stand-in for the Web API.
 */
describe("the metrics listener", () => {
  let fake: FakeSlack;
  const prefix = uniquePrefix("metrics");
  const running: CliProcess[] = [];
  const env = () => serveEnv(fake, prefix);

  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(async () => {
    for (const p of running) await p.stop("SIGKILL");
    await fake?.close();
    await removePrefix(prefix);
  });

  it("serve --http: /metrics on the metrics address only, /healthz on both", async () => {
    const serve = spawnCli(["serve", "--http", "--port", "0", "--host", "127.0.0.1"], {
      ...env(),
      DIAGBOT_METRICS_LISTEN: "127.0.0.1:0",
    });
    running.push(serve);
    const ready = await serve.waitFor(
      /ready \(HTTP on port (\d+) at \/slack\/events; metrics on 127\.0\.0\.1:(\d+)\/metrics\)/,
    );
    const [slackPort, metricsPort] = [ready[1], ready[2]];
    expect(slackPort).not.toBe(metricsPort);
    const onSlack = await fetch(`http://127.0.0.1:${slackPort}/metrics`);
    expect(onSlack.status).toBe(404);
    expect(await onSlack.text()).not.toContain("diagbot_");
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    const body = await metrics.text();
    expect(body).toContain("# TYPE diagbot_requests_total counter");
    expect(body).toContain("diagbot_process_cpu_seconds_total");
    expect((await fetch(`http://127.0.0.1:${slackPort}/healthz`)).status).toBe(200);
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/slack/events`)).status).toBe(404);
    expect(await serve.stop()).toBe(0);
  });

  it("serve with DIAGBOT_METRICS_LISTEN=off has no metrics listener", async () => {
    const serve = spawnCli(["serve", "--http", "--port", "0", "--host", "127.0.0.1"], {
      ...env(),
      DIAGBOT_METRICS_LISTEN: "off",
    });
    running.push(serve);
    const ready = await serve.waitFor(/ready \(HTTP on port (\d+) at \/slack\/events; (.*)\)/);
    expect(ready[2]).toBe("metrics off");
    expect((await fetch(`http://127.0.0.1:${ready[1]}/metrics`)).status).toBe(404);
    expect(await serve.stop()).toBe(0);
  });

  it("a bad or busy metrics address exits 2 naming the variable", async () => {
    const bad = await runCli(["serve", "--http", "--port", "0"], {
      env: { ...env(), DIAGBOT_METRICS_LISTEN: "0.0.0.0" },
      timeoutMs: 20_000,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DIAGBOT_METRICS_LISTEN="0.0.0.0": expected HOST:PORT');
    const holder = spawnCli(["worker", "--metrics-listen", "127.0.0.1:0"], env());
    running.push(holder);
    const port = (await holder.waitFor(/metrics on 127\.0\.0\.1:(\d+)\/metrics/))[1];
    const busy = await runCli(["serve", "--http", "--port", "0"], {
      env: { ...env(), DIAGBOT_METRICS_LISTEN: `127.0.0.1:${port}` },
      timeoutMs: 20_000,
    });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`DIAGBOT_METRICS_LISTEN=127.0.0.1:${port}: cannot listen`);
    expect(busy.stderr).toContain("EADDRINUSE");
    const busyWorker = await runCli(["worker", "--metrics-listen", `127.0.0.1:${port}`], {
      env: env(),
      timeoutMs: 20_000,
    });
    expect(busyWorker.code).toBe(2);
    expect(busyWorker.stderr).toContain(`--metrics-listen=127.0.0.1:${port}: cannot listen`);
  });

  it("worker --metrics-listen serves its own metrics; without it, none", async () => {
    const worker = spawnCli(["worker", "--metrics-listen", "127.0.0.1:0"], env());
    running.push(worker);
    const port = (await worker.waitFor(/metrics on 127\.0\.0\.1:(\d+)\/metrics/))[1];
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(body).toContain("# TYPE diagbot_jobs_total counter");
    const quiet = spawnCli(["worker"], env());
    running.push(quiet);
    await quiet.waitFor(/diagbot worker: ready \(.*; metrics off\)/);
    expect(await worker.stop()).toBe(0);
  });
});
