/**
 * Tracing end to end, against an OTLP/HTTP receiver on loopback started here: the agent runs as a process
 * (`node agent/src/main.ts`, exactly as deployed) with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at the receiver, on
 * an in-process Hardhat chain reached over HTTP JSON-RPC, with PostgreSQL and Redis when they are reachable (their
 * instrumentations are then checked too; under CI=true they must be).
 *
 * A client sends one W3C `traceparent` (one trace id) with the requests of a user's journey: the upload of a GPX
 * run, the attestation of the milestone, and its gasless claim through the relayer (a manual log with notes, a
 * calendar upload and a coach question on the way). What the receiver decodes must be one trace holding the HTTP
 * server spans of those requests and the agent's own spans (parse, verify, sign, relay, send, receipt, RPC), with
 * the expected attributes; and no attribute anywhere may carry a key, the session cookie, a note, calendar text or
 * the prompt. The request's log lines and its problem documents carry the same trace id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Redis } from "ioredis";
import pg from "pg";
import { parseEther } from "viem";
import { createSiweMessage } from "viem/siwe";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { canonicalizeRules, type RulesDocument } from "../../src/rules/rulesDocument.ts";
import { freePort, TEST_REDIS_URL } from "../limits/redisTestSupport.ts";
import { TEST_DATABASE_URL } from "../store/storeDrivers.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";
import { type RpcOverHttp, serveRpcOverHttp } from "../support/rpcOverHttp.ts";
import { gpx, track } from "../workouts/fixtures.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlpReceiver.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const DAY = 86_400;
const HOUR = 3_600;
const MINUTE = 60;

const RULES: RulesDocument = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 1, minMinutes: 30, activities: ["run"] },
  evidence: "device",
};

/** Text that must never reach a span: it is sent in a note, a calendar event and a coach question. */
const NOTE = "left-knee-still-sore-NOTE-7f3a";
const CALENDAR_TEXT = "Therapist-appointment-CAL-91bd";
const PROMPT = "should-I-skip-today-PROMPT-55e2";

async function reachable(what: "postgres" | "redis"): Promise<boolean> {
  try {
    if (what === "postgres") {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 1_000 });
      await client.connect();
      await client.end();
    } else {
      const redis = new Redis(TEST_REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        connectTimeout: 1_000,
      });
      await redis.connect();
      redis.disconnect();
    }
    return true;
  } catch {
    return false;
  }
}

describe("tracing: upload → attestation → relayed claim is one trace over OTLP", function () {
  this.timeout(240_000);

  let receiver: OtlpReceiver;
  let chain: HardhatChain;
  let rpc: RpcOverHttp;
  let agent: ChildProcess | undefined;
  let agentUrl = "";
  let output = "";
  let exitCode: number | null = null;
  let databaseName: string | undefined;
  let usesRedis = false;
  const traceId = randomBytes(16).toString("hex");
  const traceparent = () => `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
  let cookie = "";
  let commitmentId = 0n;
  let start = 0;
  const { rulesHash } = canonicalizeRules(RULES);
  let problem: Record<string, unknown> = {};

  const api = async (
    method: string,
    route: string,
    init: { body?: unknown; contentType?: string; traced?: boolean } = {},
  ) => {
    const isForm = init.body instanceof FormData;
    const headers: Record<string, string> = {};
    if (init.body !== undefined && !isForm) headers["content-type"] = init.contentType ?? "application/json";
    if (cookie !== "") headers.cookie = cookie;
    if (init.traced !== false) headers.traceparent = traceparent();
    const res = await fetch(`${agentUrl}${route}`, {
      method,
      headers,
      ...(init.body === undefined
        ? {}
        : {
            body:
              isForm || typeof init.body === "string"
                ? (init.body as FormData | string)
                : JSON.stringify(init.body),
          }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers };
  };
  const expectStatus = (res: { status: number; body: unknown }, statuses: number[], what: string) => {
    expect(
      statuses,
      `${what}: ${res.status} ${JSON.stringify(res.body)}\n${output.slice(-4_000)}`,
    ).to.include(res.status);
  };

  async function travelTo(unixSeconds: number): Promise<void> {
    const now = await chain.latestTimestamp();
    if (unixSeconds > now) await chain.increaseTime(unixSeconds - now);
    // The agent's clock follows the chain (CLOCK_SOURCE=chain) every second.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }

  before(async () => {
    receiver = await startOtlpReceiver();
    chain = await createHardhatChain();
    const [oracle] = chain.accounts.oracles;
    if (oracle === undefined) throw new Error("an oracle expected");
    // One oracle, threshold 1: this agent's own signature is the quorum its relayer submits.
    await chain.wallet(chain.accounts.admin).writeContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "setOracles",
      args: [[oracle.address], 1],
    });
    rpc = await serveRpcOverHttp(chain.provider);

    const strict = process.env.CI === "true";
    const env: Record<string, string> = {};
    if (await reachable("postgres")) {
      databaseName = `trace_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`create database ${databaseName}`);
      await admin.end();
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${databaseName}`;
      env.DATABASE_URL = url.toString();
    } else if (strict) {
      throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL}`);
    }
    if (await reachable("redis")) {
      usesRedis = true;
      env.REDIS_URL = TEST_REDIS_URL;
      env.REDIS_KEY_PREFIX = `trace${randomBytes(4).toString("hex")}:`;
    } else if (strict) {
      throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}`);
    }

    const port = await freePort();
    agentUrl = `http://127.0.0.1:${port}`;
    agent = spawn(process.execPath, ["agent/src/main.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        HOST: "127.0.0.1",
        PORT: String(port),
        INTERNAL_PORT: "0", // any free port: PORT + 1 may be taken
        PUBLIC_ORIGIN: "http://127.0.0.1:5173",
        CHAIN_ID: String(chain.chainId),
        RPC_URL: rpc.url,
        VAULT_ADDRESS: chain.vault,
        VAULT_DEPLOYMENT_BLOCK: String(chain.deploymentBlock),
        ORACLE_PRIVATE_KEY: oracle.privateKey,
        OPERATOR_PRIVATE_KEY: chain.accounts.operator.privateKey,
        RELAYER_ENABLED: "true",
        KEEPER_ENABLED: "false",
        CLOCK_SOURCE: "chain",
        DATA_DIR: "memory://",
        INDEXER_POLL_INTERVAL_MS: "200",
        INDEXER_CONFIRMATIONS: "0",
        // The journey moves the chain (and the agent's clock) a day forward: the session must outlive it.
        SESSION_TTL_SECONDS: String(30 * DAY),
        LOG_LEVEL: "info",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_SERVICE_NAME: "agent-under-test",
        RELEASE: "test-release-1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    agent.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    agent.once("exit", (code) => {
      exitCode = code;
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (exitCode !== null) throw new Error(`the agent exited (${exitCode}):\n${output}`);
      const ok = await fetch(`${agentUrl}/health`, { signal: AbortSignal.timeout(1_000) })
        .then((res) => res.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the agent did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  after(async () => {
    if (agent !== undefined && exitCode === null) {
      agent.kill("SIGKILL");
      await new Promise((resolve) => agent?.once("exit", resolve));
    }
    await rpc?.close();
    await chain?.close();
    await receiver?.close();
    if (databaseName !== undefined) {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`drop database if exists ${databaseName} with (force)`);
      await admin.end();
    }
  });

  it("runs a user's journey, every request in one client trace, then stops the agent (which flushes)", async () => {
    const alice = chain.accounts.alice;
    const nonce = await api("POST", "/api/auth/nonce");
    expectStatus(nonce, [200], "nonce");
    const message = createSiweMessage({
      address: alice.address,
      chainId: chain.chainId,
      domain: String(nonce.body.domain),
      nonce: String(nonce.body.nonce),
      uri: String(nonce.body.uri),
      version: "1",
      issuedAt: new Date((await chain.latestTimestamp()) * 1000),
    });
    const verify = await api("POST", "/api/auth/verify", {
      body: { message, signature: await alice.signMessage({ message }) },
    });
    expectStatus(verify, [200], "sign-in");
    cookie =
      verify.headers
        .getSetCookie()
        .find((c) => c.startsWith("ra_session="))
        ?.split(";")[0] ?? "";
    expect(cookie).to.match(/^ra_session=./);
    expectStatus(await api("POST", "/api/rules", { body: { rules: RULES } }), [200], "rules");

    start = (await chain.latestTimestamp()) + 60;
    commitmentId = await chain.createEthCommitment({
      owner: alice,
      amount: parseEther("2"),
      start,
      period: DAY,
      milestones: 2,
      grace: HOUR,
      beneficiary: chain.accounts.beneficiary.address,
      rulesHash,
    });
    for (let i = 0; ; i++) {
      const seen = await api("GET", `/api/commitments/${commitmentId}`, { traced: false });
      if (seen.status === 200) break;
      if (i > 100) expectStatus(seen, [200], "the indexer follows the commitment");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    await travelTo(start + 3 * HOUR);
    const run = track({
      start: (start + 5 * MINUTE) * 1000,
      seconds: 35 * MINUTE,
      speedMps: 3,
      heartRate: 148,
    });
    const form = new FormData();
    form.append("file", new Blob([gpx({ type: "running", segments: [run] })]), "morning-run.gpx");
    const upload = await api("POST", "/api/workouts/upload", { body: form });
    expectStatus(upload, [201], "upload");
    expect((upload.body.workouts as { verdict: { status: string } }[])[0]?.verdict.status).to.equal(
      "accepted",
    );

    const manual = await api("POST", "/api/workouts", {
      body: {
        sport: "run",
        startTime: new Date((start + 2 * HOUR) * 1000).toISOString(),
        durationMin: 20,
        notes: NOTE,
      },
    });
    expectStatus(manual, [201], "manual log");
    const calendar = await api("POST", "/api/calendar", {
      contentType: "text/calendar",
      body: [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        "UID:trace-test@example.com",
        "DTSTAMP:20260101T000000Z",
        `DTSTART:${new Date((start + DAY / 2) * 1000).toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`,
        `DTEND:${new Date((start + DAY / 2 + HOUR) * 1000).toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`,
        `SUMMARY:${CALENDAR_TEXT}`,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
      ].join("\r\n"),
    });
    expectStatus(calendar, [200, 201], "calendar");
    expectStatus(await api("POST", "/api/agent", { body: { message: PROMPT } }), [200], "coach");

    await travelTo(start + DAY + 10 * MINUTE);
    const attestation = await api("POST", `/api/commitments/${commitmentId}/milestones/0/attestation`, {
      body: {},
    });
    expectStatus(attestation, [200], "attestation");
    const claim = await api("POST", `/api/commitments/${commitmentId}/milestones/0/claim`, { body: {} });
    expectStatus(claim, [202], "claim");
    expect(claim.body.status).to.equal("confirmed");

    const missing = await api("GET", "/api/commitments/987654321");
    expect(missing.headers.get("content-type")).to.match(/^application\/problem\+json/);
    problem = missing.body;

    agent?.kill("SIGTERM");
    await new Promise((resolve) => (exitCode !== null ? resolve(undefined) : agent?.once("exit", resolve)));
    expect(exitCode, output.slice(-4_000)).to.equal(0);
    expect(receiver.contentTypes[0]).to.match(/^application\/json/);
    expect(receiver.unexpected, "only traces are exported").to.deep.equal([]);
  });

  const inTrace = (): ReceivedSpan[] => receiver.spans.filter((span) => span.traceId === traceId);
  const named = (name: string): ReceivedSpan[] => inTrace().filter((span) => span.name === name);
  const one = (name: string): ReceivedSpan => {
    const found = named(name);
    expect(
      found,
      `span ${name} in ${JSON.stringify(inTrace().map((s) => s.name))}`,
    ).to.have.length.greaterThan(0);
    return found[0] as ReceivedSpan;
  };

  it("exports one trace with the server spans of the upload, the attestation and the claim", () => {
    const routes = inTrace()
      .filter((span) => span.scope === "@opentelemetry/instrumentation-http" && span.kind === 2)
      .map((span) => span.attributes["http.route"]);
    expect(routes).to.include.members([
      "/api/workouts/upload",
      "/api/commitments/:id/milestones/:index/attestation",
      "/api/commitments/:id/milestones/:index/claim",
    ]);
    const resource = one("workout.parse").resource;
    expect(resource["service.name"]).to.equal("agent-under-test");
    expect(resource["service.version"]).to.equal("test-release-1");
    // Every span of the trace hangs off a span of the trace or off the client's (absent) parent span.
    const ids = new Set(inTrace().map((span) => span.spanId));
    const roots = inTrace().filter((span) => !ids.has(span.parentSpanId));
    expect(roots.every((span) => span.kind === 2)).to.equal(true);
  });

  it("holds the agent's own spans with the attributes an operator follows", () => {
    expect(one("workout.parse").attributes).to.include({ "workout.format": "gpx", "workout.activities": 1 });
    expect(one("workout.verify").attributes).to.include({ "workout.accepted": 1, "workout.rejected": 0 });
    expect(one("attestation.sign").attributes).to.include({
      "attestation.signer": chain.accounts.oracles[0]?.address,
      "attestation.type": "MilestoneAttestation",
    });
    expect(one("relayer.claim").attributes).to.include({
      "commitment.id": commitmentId.toString(),
      "milestone.index": 0,
      "relayer.status": "confirmed",
      "relayer.submitted": true,
    });
    const send = one("chain.tx.send");
    const receipt = one("chain.tx.receipt");
    expect(receipt.attributes).to.include({ "tx.status": "confirmed", "chain.id": chain.chainId });
    expect(receipt.attributes["tx.hash"]).to.equal(send.attributes["tx.hash"]);
    expect(one("chain.rpc eth_sendRawTransaction").attributes).to.include({
      "rpc.method": "eth_sendRawTransaction",
    });
    expect(named("chain.rpc eth_call").length + named("chain.rpc eth_estimateGas").length).to.be.greaterThan(
      0,
    );
    expect(one("coach.turn").attributes).to.include({ "coach.provider": "rules" });
    expect(one("coach.model").attributes).to.include({
      "gen_ai.system": "rules",
      "gen_ai.operation.name": "chat",
    });
    expect(one("coach.model").attributes).to.have.property("coach.model.latency_ms");
    const express = inTrace().filter((span) => span.scope === "@opentelemetry/instrumentation-express");
    expect(express.length).to.be.greaterThan(0);
    if (databaseName !== undefined) {
      const sql = inTrace().filter((span) => span.scope === "@opentelemetry/instrumentation-pg");
      expect(sql.length, "pg spans").to.be.greaterThan(0);
      expect(
        sql.some((span) =>
          String(span.attributes["db.statement"] ?? span.attributes["db.query.text"]).includes("$1"),
        ),
      ).to.equal(true);
    }
    if (usesRedis) {
      const redis = inTrace().filter((span) => span.scope === "@opentelemetry/instrumentation-ioredis");
      expect(redis.length, "ioredis spans").to.be.greaterThan(0);
      for (const span of redis) {
        const statement = String(span.attributes["db.statement"] ?? span.attributes["db.query.text"] ?? "");
        expect(statement, "redis statement is the command only").to.match(/^[a-z]+$/i);
      }
    }
  });

  it("puts no key, cookie, token, note, calendar text or prompt in anything it exports", () => {
    const everything = receiver.bodies.join("\n");
    const session = cookie.split("=")[1] ?? "";
    const secrets: Record<string, string> = {
      "oracle key": (chain.accounts.oracles[0]?.privateKey ?? "").slice(2),
      "operator key": chain.accounts.operator.privateKey.slice(2),
      "session token": session,
      "cookie name": "ra_session",
      note: NOTE,
      "calendar text": CALENDAR_TEXT,
      prompt: PROMPT,
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length, what).to.be.greaterThan(3);
      expect(everything.includes(secret), `${what} exported`).to.equal(false);
    }
    for (const span of receiver.spans) {
      for (const key of Object.keys(span.attributes)) {
        expect(key, `${span.name}: ${key}`).not.to.match(/cookie|authorization|password|secret|private/i);
      }
      for (const key of ["url.full", "http.url", "http.target", "url.query"]) {
        expect(String(span.attributes[key] ?? ""), `${span.name}: ${key}`).not.to.include("?");
      }
    }
  });

  it("writes the trace id on the request's log lines and in its problem documents", () => {
    expect(problem.traceId).to.equal(traceId);
    expect(problem.requestId).to.be.a("string");
    const lines = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; traceId?: string; req?: { path?: string } });
    const uploadLine = lines.find(
      (line) => line.msg === "request completed" && line.req?.path === "/api/workouts/upload",
    );
    expect(uploadLine?.traceId, JSON.stringify(uploadLine)).to.equal(traceId);
    expect(lines.filter((line) => line.traceId === traceId).length).to.be.greaterThan(5);
  });

  after(() => {
    // TRACE_TEST_DUMP=<file> keeps the received trace for reading (span names, parents, attributes).
    const dump = process.env.TRACE_TEST_DUMP;
    if (dump !== undefined && receiver !== undefined) writeFileSync(dump, JSON.stringify(inTrace(), null, 2));
  });

  it("does not trace probes and scrapes", () => {
    const routes = receiver.spans.map((span) =>
      String(span.attributes["url.path"] ?? span.attributes["http.target"] ?? ""),
    );
    expect(routes.filter((route) => /^\/(health|metrics)/.test(route))).to.deep.equal([]);
  });
});
