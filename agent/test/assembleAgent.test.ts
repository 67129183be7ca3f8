import { spawn } from "node:child_process";
import { createServer, Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import request from "supertest";
import { assembleAgent, HOUSEKEEPING_BATCH } from "../src/assembleAgent.ts";
import { ManualClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { collectLogs } from "./http/testApp.ts";

const ORACLE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ORACLE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** An agent on an in-memory PGlite, logging at debug level into `logged`. */
async function embeddedAgent() {
  const { lines: logged, logger } = collectLogs("debug");
  const clock = new ManualClock(new Date("2026-11-23T07:00:00Z"));
  const agent = await assembleAgent({ config: loadConfig({ DATA_DIR: "memory://" }), clock, logger });
  return { agent, logged, clock };
}

/** Resolves once a line with `msg` was logged, or after `timeoutMs` (the test's assertions then say what is missing). */
async function logLine(logged: readonly { msg?: string }[], msg: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!logged.some((line) => line.msg === msg) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("assembleAgent", () => {
  it("wires the embedded store and the signer: deep health is ok and the start is audited", async () => {
    const config = loadConfig({ DATA_DIR: "memory://", ORACLE_PRIVATE_KEY: ORACLE_KEY, LOG_LEVEL: "silent" });
    const clock = new ManualClock(new Date("2026-11-23T07:00:00Z"));
    const agent = await assembleAgent({ config, clock, logger: createLogger({ level: "silent" }) });
    try {
      expect(agent.oracle).to.equal(ORACLE);
      const deep = await request(agent.internalApp).get("/health?deep=1");
      expect(deep.status).to.equal(200);
      expect(deep.body.checks).to.deep.equal({ store: { status: "ok" }, signer: { status: "ok" } });
      const entries = await agent.store.auditLog.list({ limit: 10 });
      const started = entries.filter((e) => e.action === "agent.started");
      expect(started).to.have.length(1);
      expect(JSON.stringify(started[0]?.details)).to.not.contain(ORACLE_KEY.slice(2));
    } finally {
      await agent.close();
    }
  });

  it("measures PGlite's WAL in the background from the start, to checkpoint it (PGlite never does)", async () => {
    const { agent, logged } = await embeddedAgent();
    try {
      agent.startBackground();
      await logLine(logged, "pglite WAL measured", 10_000);
      const measured = logged.find((line) => line.msg === "pglite WAL measured");
      expect(measured?.walBytes).to.be.a("number").and.to.be.at.least(0);
    } finally {
      await agent.close();
    }
  });

  it("purges a backlog of expired rows in back-to-back runs, then vacuums PGlite's churn tables", async () => {
    const { agent, logged, clock } = await embeddedAgent();
    try {
      const backlog = HOUSEKEEPING_BATCH * 2 + 200;
      for (let index = 0; index < backlog; index += 1) {
        await agent.store.siweNonces.issue(`backlognonce${index}`, 1_000);
      }
      clock.advance(2_000);
      agent.startBackground();
      await logLine(logged, "pglite tables vacuumed", 20_000);
      const purgedNonces = logged
        .filter((line) => line.msg === "expired rows purged")
        .map((line) => (line.purged as { siweNonces: number }).siweNonces);
      // One run a batch, each right after the last: the whole backlog before the first vacuum, not 500 per 10 min.
      expect(purgedNonces).to.deep.equal([HOUSEKEEPING_BATCH, HOUSEKEEPING_BATCH, 200]);
      expect(logged.find((line) => line.msg === "pglite tables vacuumed")?.ms).to.be.a("number");
    } finally {
      await agent.close();
    }
  });
});

describe("agent main process", () => {
  const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

  it("stops at startup with one clear line and exit code 2 on a bad configuration", async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: "99999", DATA_DIR: "memory://" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).to.equal(2);
    expect(stderr.trim()).to.equal(
      "agent: invalid configuration: PORT: must be a whole number from 1 to 65535",
    );
  });

  it("serves /health and exits 0 on SIGTERM", async function () {
    // Boot includes PGlite's start and the migrations: generous on a loaded 2-core CI machine.
    this.timeout(90_000);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: "18799", DATA_DIR: "memory://", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    try {
      for (let i = 0; i < 600 && !stdout.includes("agent listening") && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stdout).to.contain("agent listening");
      const res = await fetch("http://127.0.0.1:18799/health");
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: "ok" });
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await once(child, "exit");
    expect(code).to.equal(0);
  });

  it("exits 1 at once on a second SIGTERM while the first one waits for an open request", async function () {
    this.timeout(90_000);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: "18797", DATA_DIR: "memory://", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = once(child, "exit");
    const waitFor = async (text: string) => {
      for (let i = 0; i < 600 && !stdout.includes(text) && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stdout).to.contain(text);
    };
    const socket = new Socket();
    try {
      await waitFor("agent listening");
      // A request whose headers never end: the clean stop gives it its grace (10 s) before it closes it.
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(18797, "127.0.0.1", resolve);
      });
      socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      await new Promise((r) => setTimeout(r, 200));
      child.kill("SIGTERM");
      await waitFor("shutting down");
      const second = Date.now();
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).to.equal(1);
      expect(Date.now() - second).to.be.below(5_000);
      expect(stdout).to.contain("second signal while shutting down");
    } finally {
      socket.destroy();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("stops on SIGTERM sent while it is still booting", async function () {
    this.timeout(90_000);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: "18798", DATA_DIR: "memory://", LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "ignore"],
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).to.be.oneOf([0, null]);
  });

  it("exits 1 with one clear line when its port is taken", async function () {
    this.timeout(90_000);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, PORT: String(port), DATA_DIR: "memory://", LOG_LEVEL: "silent" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      const [code] = await once(child, "exit");
      expect(code).to.equal(1);
      expect(stderr.trim()).to.equal(
        `agent: failed to start: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
      );
    } finally {
      blocker.close();
    }
  });
});
