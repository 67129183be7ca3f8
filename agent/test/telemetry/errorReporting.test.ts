/**
 * Error reporting against a local endpoint that accepts Sentry envelopes: what arrives (5xx answers with their
 * request id, route, method, status, release and environment; failed background runs with their task; unhandled
 * rejections) and what must never arrive (expected 4xx answers; cookies, authorization headers, query strings,
 * request bodies, notes, keys and tokens in error messages).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { expect } from "chai";
import { Router } from "express";
import request from "supertest";
import { createPollLoop } from "../../src/chain/pollLoop.ts";
import { DependencyError, NotFoundError, ValidationError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { type ErrorReporter, scrubText, startErrorReporting } from "../../src/telemetry/errorReporting.ts";
import { buildTestApp } from "../http/testApp.ts";
import { type SentryReceiver, startSentryReceiver } from "./sentryReceiver.ts";

const KEY_HEX = `0x${"ab".repeat(32)}`;
const SESSION = "ra_session=SESSIONSECRET123";
const BEARER = "Bearer TOKENSECRET456";
const OAUTH_CODE = "OAUTHCODE789";
const NOTE = "my-private-NOTE-4411";

describe("error reporting (Sentry) against a local envelope endpoint", function () {
  this.timeout(60_000);

  let receiver: SentryReceiver;
  let reporter: ErrorReporter;

  before(async () => {
    receiver = await startSentryReceiver();
    reporter = await startErrorReporting({ dsn: receiver.dsn, release: "test-release", environment: "test" });
  });

  after(async () => {
    await reporter?.close(2_000);
    await receiver?.close();
  });

  const boom = Router();
  boom.post("/crash", () => {
    throw new Error(`the database said: token=abc123SECRET while using ${KEY_HEX}`);
  });
  boom.get("/down", () => {
    throw new DependencyError({ code: "rpc_unavailable", message: "the RPC endpoint does not answer" });
  });
  boom.get("/missing", () => {
    throw new NotFoundError({ code: "commitment_not_found", message: "There is no such commitment." });
  });
  boom.post("/invalid", () => {
    throw new ValidationError({ code: "invalid_rules", message: "The rules are not valid." });
  });

  it("reports 5xx answers with request id, route, method, status, release and environment; never 4xx", async () => {
    const { app } = buildTestApp({ routes: [{ path: "/boom", router: boom }] });
    const send = (req: request.Test) =>
      req.set("Cookie", SESSION).set("Authorization", BEARER).set("X-Forwarded-For", "203.0.113.9");
    const crash = await send(request(app).post(`/api/boom/crash?code=${OAUTH_CODE}`)).send({ notes: NOTE });
    expect(crash.status).to.equal(500);
    const down = await send(request(app).get("/api/boom/down"));
    expect(down.status).to.equal(503);
    expect((await send(request(app).get("/api/boom/missing"))).status).to.equal(404);
    expect((await send(request(app).post("/api/boom/invalid")).send({ notes: NOTE })).status).to.equal(422);
    expect((await send(request(app).get("/api/no-such-route"))).status).to.equal(404);
    await reporter.flush(5_000);

    const events = await receiver.waitForEvents(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.events()).to.have.length(2);
    const byStatus = (status: string) =>
      events.find((e) => (e.tags as Record<string, string>).status === status);
    const crashed = byStatus("500") as Record<string, unknown>;
    expect(crashed.tags).to.deep.include({
      request_id: crash.body.requestId,
      route: "/api/boom/crash",
      method: "POST",
      status: "500",
    });
    expect(crashed).to.include({ release: "test-release", environment: "test", level: "error" });
    const exception = (crashed.exception as { values: { type: string; value: string }[] }).values[0];
    expect(exception?.type).to.equal("Error");
    expect(exception?.value).to.equal("the database said: token=[redacted] while using [hex-redacted]");
    expect(byStatus("503")?.tags).to.deep.include({ route: "/api/boom/down", status: "503" });
    expect(crashed).not.to.have.property("request");
    expect(crashed).not.to.have.property("user");
  });

  it("reports a failed background run once per outage, tagged with its task", async () => {
    const before = receiver.events().length;
    let runs = 0;
    const loop = createPollLoop({
      name: "keeper",
      intervalMs: 5,
      maxBackoffMs: 5,
      logger: createLogger({ level: "silent" }),
      run: async () => {
        runs++;
        throw new Error("execution reverted: insufficient funds for gas");
      },
    });
    loop.start();
    while (runs < 4) await new Promise((resolve) => setTimeout(resolve, 10));
    await loop.stop();
    await reporter.flush(5_000);
    const events = (await receiver.waitForEvents(before + 1)).slice(before);
    expect(events).to.have.length(1);
    expect(events[0]?.tags).to.deep.include({ task: "keeper" });
  });

  it("reports an unhandled rejection, scrubbed, and the process still exits as Node would", async () => {
    const before = receiver.events().length;
    const child = spawn(
      process.execPath,
      [path.join(import.meta.dirname, "fixtures/unhandledRejection.ts"), receiver.dsn],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, output).to.not.equal(0);
    const [event] = (await receiver.waitForEvents(before + 1)).slice(before);
    expect(event).to.include({ release: "test-release-2" });
    const exception = event?.exception as { values: { value: string }[] } | undefined;
    const value = exception?.values[0];
    expect(value?.value).to.equal("nobody awaited this: password=[redacted]");
  });

  it("never sends a cookie, authorization header, query string, request body, note, key or token", () => {
    const everything = receiver.raw.join("\n");
    for (const secret of [
      "SESSIONSECRET123",
      "TOKENSECRET456",
      OAUTH_CODE,
      NOTE,
      KEY_HEX.slice(2),
      "abc123SECRET",
      "hunter2",
      "203.0.113.9",
    ]) {
      expect(everything.includes(secret), secret).to.equal(false);
    }
  });

  it("cuts URLs to their origin and masks signed transactions (an RPC error names both)", () => {
    const viemLike = [
      "HTTP request failed.",
      "URL: https://eth-sepolia.g.alchemy.com/v2/RPCKEY42secret",
      `Request body: {"method":"eth_sendRawTransaction","params":["0x02${"f8".repeat(80)}"]}`,
      "with postgres://agent:hunter3@db:5432/agent and redis://:pw@cache:6379",
    ].join("\n");
    const scrubbed = scrubText(viemLike);
    expect(scrubbed).to.include("URL: https://eth-sepolia.g.alchemy.com/…");
    expect(scrubbed).to.include('"params":["[hex-redacted]"]');
    expect(scrubbed).to.include("postgres://db:5432/…");
    for (const secret of ["RPCKEY42secret", "hunter3", ":pw@", "f8f8f8"])
      expect(scrubbed).not.to.include(secret);
  });

  it("masks secret shapes in free text", () => {
    expect(scrubText(`key ${KEY_HEX}, Bearer abc.def, cookie: ra_session=xyz; code=123&state=9`)).to.equal(
      "key [hex-redacted], Bearer [redacted], cookie: [redacted]; code=[redacted]&state=[redacted]",
    );
  });
});
