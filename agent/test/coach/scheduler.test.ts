import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import type { Redis } from "ioredis";
import { createBullmqCoachScheduler } from "../../src/coach/scheduler/bullmqScheduler.ts";
import { createCronCoachScheduler } from "../../src/coach/scheduler/cronScheduler.ts";
import {
  connectTestRedis,
  deleteByPrefix,
  TEST_REDIS_URL,
  uniquePrefix,
} from "../limits/redisTestSupport.ts";
import { silentLogger } from "./coachFixtures.ts";

describe("coach scheduler", () => {
  it("cron: runs passes on the pattern, one at a time, and stops", async () => {
    let running = 0;
    let overlapped = false;
    const passes: string[] = [];
    let notify: () => void = () => {};
    const twoPasses = new Promise<void>((resolve) => {
      notify = () => {
        if (passes.length >= 2) resolve();
      };
    });
    const scheduler = createCronCoachScheduler({
      pattern: "* * * * * *",
      logger: silentLogger,
      runPass: async (passId) => {
        running += 1;
        if (running > 1) overlapped = true;
        passes.push(passId);
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the period
        running -= 1;
        notify();
      },
    });
    await scheduler.start();
    await twoPasses;
    await scheduler.stop();
    const count = passes.length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(passes.length).to.equal(count);
    expect(overlapped).to.equal(false);
    expect(new Set(passes).size).to.equal(passes.length);
    expect(passes[0]).to.match(/^cron:\d{4}-\d{2}-\d{2}T/);
  });

  describe("BullMQ across two processes (real Redis)", () => {
    let redis: Redis;
    let prefix: string;
    const children: ChildProcess[] = [];

    before(async function () {
      redis = await connectTestRedis(this, "coach BullMQ scheduler");
      prefix = uniquePrefix().replace(/:$/, "");
    });
    after(async () => {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      if (redis !== undefined) {
        await deleteByPrefix(redis, prefix);
        redis.disconnect();
      }
    });

    it("runs each scheduled pass exactly once although both replicas schedule and work", async function () {
      this.timeout(60_000);
      const listKey = `${prefix}:passes`;
      const script = fileURLToPath(new URL("./fixtures/bullmqReplica.ts", import.meta.url));
      for (let i = 0; i < 2; i += 1) {
        const child = spawn(
          process.execPath,
          [script, TEST_REDIS_URL, prefix, "coach-test", "250", listKey],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        children.push(child);
        const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
        expect(chunk.toString()).to.contain("ready");
      }
      // Wait (bounded by the mocha timeout) until enough passes ran.
      while ((await redis.llen(listKey)) < 12) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const child of children) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      const entries = await redis.lrange(listKey, 0, -1);
      const passIds = entries.map((entry) => entry.split("|")[0]);
      expect(passIds.length).to.be.at.least(12);
      expect(new Set(passIds).size, `duplicates in ${passIds.join(", ")}`).to.equal(passIds.length);
      expect(passIds.every((id) => id?.startsWith("repeat:"))).to.equal(true);
    });

    it("refuses both or neither of pattern and everyMs", () => {
      expect(() =>
        createBullmqCoachScheduler({ redis, prefix, runPass: async () => {}, logger: silentLogger }),
      ).to.throw("exactly one");
    });
  });
});
