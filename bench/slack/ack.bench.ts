import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../../test/helpers/cli.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../../test/helpers/redis.js";
import {
  type FakeSlack,
  postSigned,
  slashCommand,
  startFakeSlack,
} from "../../test/helpers/slack-api.js";
import { until } from "../../test/helpers/slack-harness.js";
import { freePort } from "../../test/helpers/sshd.js";
import { report, summary } from "./stats.js";

/**
 * Ack latency: 50 slash commands sent at once to a `diagbot serve --http` process (real Redis,
 * the local Slack stand-in in this process), 6 rounds after one warm-up round; each sample is
 * the time from sending the signed POST to receiving the acknowledgement (HTTP 200). The work
 * after the ack (root message, job) runs in the same process meanwhile, as in production.
 * Target: p99 < 300 ms. Run twice: as is, and with RBAC bindings on Slack user groups while the
 * stand-in answers `usergroups.users.list` only after 5 s (the lists are refreshed in the
 * background, so the acknowledgement must not wait for them).
 */
const CONCURRENT = 50;
const ROUNDS = 6;

/** Slow user groups: RBAC binds three groups, each listed by the stand-in after this many ms. */
const SLOW_USERGROUPS_MS = 5000;

for (const slowGroups of [false, true])
  describe(slowGroups ? "slow usergroups.users.list" : "plain", () => {
    let fake: FakeSlack;
    let serve: ChildProcess;
    let url: string;
    let dir: string;
    const prefix = uniquePrefix("bench-ack");
    const name = slowGroups ? "ack-slow-usergroups" : "ack";

    beforeAll(async () => {
      fake = await startFakeSlack();
      const extraEnv: Record<string, string> = {};
      if (slowGroups) {
        fake.inject("usergroups.users.list", {
          delayMs: SLOW_USERGROUPS_MS,
          times: Number.POSITIVE_INFINITY,
        });
        for (const g of ["S1", "S2", "S3"]) fake.usergroups.set(g, ["U1", "U2"]);
      }
      dir = mkdtempSync(join(tmpdir(), "diagbot-bench-"));
      const inventory = join(dir, "inventory.yaml");
      writeFileSync(
        inventory,
        `hosts:\n${Array.from({ length: 200 }, (_, i) => `  host-${i}:\n    address: 127.0.0.1\n    groups: [web]\n`).join("")}`,
      );
      if (slowGroups) {
        extraEnv.DIAGBOT_RBAC = join(dir, "rbac.yaml");
        writeFileSync(
          extraEnv.DIAGBOT_RBAC,
          [
            "roles:",
            "  oncall: { hostGroups: [web], costClasses: [cheap, sampling] }",
            "  sre: { hostGroups: ['*'], costClasses: [cheap, sampling, intrusive] }",
            "bindings:",
            "  - { role: sre, usergroups: [S1, S2, S3] }",
            "default: oncall",
          ].join("\n"),
        );
      }
      const port = await freePort();
      serve = spawn(
        process.execPath,
        [BIN, "serve", "--http", "--port", String(port), "--host", "127.0.0.1"],
        {
          env: {
            ...process.env,
            REDIS_URL: SHARED_REDIS_URL,
            DIAGBOT_REDIS_PREFIX: prefix,
            DIAGBOT_INVENTORY: inventory,
            SLACK_BOT_TOKEN: fake.botToken,
            SLACK_SIGNING_SECRET: fake.signingSecret,
            SLACK_APP_TOKEN: "",
            SLACK_API_URL: fake.apiUrl,
            DIAGBOT_LOG_LEVEL: "warn",
            ...extraEnv,
          },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let err = "";
      serve.stderr?.on("data", (d: Buffer) => {
        err += d.toString();
      });
      await until(() => /diagbot serve: ready/.test(err), 20_000, "serve ready");
      url = `http://127.0.0.1:${port}/slack/events`;
    });

    afterAll(async () => {
      serve?.kill("SIGTERM");
      await fake?.close();
      await removePrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it(`ack latency of 50 concurrent /diagnose commands (${name})`, async () => {
      const samples: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        const bodies = Array.from({ length: CONCURRENT }, (_, i) =>
          slashCommand({
            text: `host-${(round * CONCURRENT + i) % 200} latency --window 1s`,
            channel: `C${i}`,
            user: `U${i}`,
            responseUrl: fake.responseUrl(),
          }),
        );
        const results = await Promise.all(
          bodies.map((b) => postSigned(url, fake.signingSecret, b)),
        );
        expect(results.every((r) => r.status === 200)).toBe(true);
        if (round > 0) samples.push(...results.map((r) => r.ms));
        await new Promise((r) => setTimeout(r, 500));
      }
      const s = summary(samples);
      const roots = fake.callsOf("chat.postMessage").length;
      report(name, {
        what: `ms from POST to ack, ${CONCURRENT} concurrent, ${ROUNDS} rounds, serve in its own process`,
        cpus: os.cpus().length,
        loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
        node: process.version,
        ...s,
        rootMessages: roots,
        targetP99: 300,
        usergroupsListMs: slowGroups ? SLOW_USERGROUPS_MS : undefined,
        usergroupsListsAnswered: fake.callsOf("usergroups.users.list").filter((c) => c.answeredAt)
          .length,
      });
      expect(s.p99).toBeLessThan(300);
    });
  });
