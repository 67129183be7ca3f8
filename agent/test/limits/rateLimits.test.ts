import { expect } from "chai";
import { Router } from "express";
import request from "supertest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { clientKey } from "../../src/limits/rateLimitMiddleware.ts";
import { buildTestApp, PROBLEM_JSON, type TestApp, typeOf } from "../http/testApp.ts";

function okRouter(): Router {
  const router = Router();
  router.all("/{*rest}", (_req, res) => {
    res.json({ ok: true });
  });
  return router;
}

function expectRetryAfter(res: request.Response, windowSeconds: number): void {
  const header = Number(res.headers["retry-after"]);
  expect(res.headers["retry-after"]).to.match(/^\d+$/);
  // Fixed windows in real time: the answer is the rest of the window, at most a few seconds short.
  expect(header).to.be.within(windowSeconds - 5, windowSeconds);
  expect(res.body.retryAfterSeconds).to.equal(header);
}

function expect429(res: request.Response, limit: string, windowSeconds: number, instance: string): void {
  expect(res.status).to.equal(429);
  expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
  expectRetryAfter(res, windowSeconds);
  expect(res.body).to.deep.equal({
    type: typeOf("rate_limited"),
    title: "Too Many Requests",
    status: 429,
    detail: `Too many requests; retry in ${res.body.retryAfterSeconds} s.`,
    code: "rate_limited",
    limit,
    retryAfterSeconds: res.body.retryAfterSeconds,
    instance,
    requestId: res.headers["x-request-id"],
  });
}

async function signIn(t: TestApp, ip: string): Promise<string> {
  const account = privateKeyToAccount(generatePrivateKey());
  const { nonce, domain, uri, chainId } = (
    await request(t.app).post("/api/auth/nonce").set("X-Forwarded-For", ip)
  ).body;
  const message = createSiweMessage({
    address: account.address,
    chainId,
    domain,
    nonce,
    uri,
    version: "1",
    issuedAt: new Date(t.clock.now()),
  });
  const res = await request(t.app)
    .post("/api/auth/verify")
    .set("X-Forwarded-For", ip)
    .send({ message, signature: await account.signMessage({ message }) });
  expect(res.status).to.equal(200);
  return String(res.headers["set-cookie"]?.[0]).split(";")[0] ?? "";
}

describe("rate limits (memory)", () => {
  it("answers 429 with Retry-After once an IP has used the API limit", async () => {
    const { app } = buildTestApp({
      env: { RATE_LIMIT_API_POINTS: "3", RATE_LIMIT_API_WINDOW_SECONDS: "3600" },
    });
    for (let i = 0; i < 3; i++) expect((await request(app).post("/api/auth/nonce")).status).to.equal(200);
    expect429(await request(app).post("/api/auth/nonce"), "api", 3600, "/api/auth/nonce");
    expect429(await request(app).post("/api/rules").send({}), "api", 3600, "/api/rules");
    // Outside /api nothing is limited.
    expect((await request(app).get("/health")).status).to.equal(200);
    // (404, not 429: /metrics is not on the public listener at all.)
    expect((await request(app).get("/metrics")).status).to.equal(404);
  });

  it("counts bad requests too", async () => {
    const { app } = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "2" } });
    expect(
      (await request(app).post("/api/rules").set("Content-Type", "application/json").send("{")).status,
    ).to.equal(400);
    expect((await request(app).get("/api/nowhere")).status).to.equal(404);
    expect((await request(app).get("/api/nowhere")).status).to.equal(429);
  });

  it("keys by the client IP behind the configured proxy hops only", async () => {
    const trusted = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "1", TRUST_PROXY: "1" } });
    expect(
      (await request(trusted.app).post("/api/auth/nonce").set("X-Forwarded-For", "203.0.113.1")).status,
    ).to.equal(200);
    expect(
      (await request(trusted.app).post("/api/auth/nonce").set("X-Forwarded-For", "203.0.113.2")).status,
    ).to.equal(200);
    expect(
      (await request(trusted.app).post("/api/auth/nonce").set("X-Forwarded-For", "203.0.113.1")).status,
    ).to.equal(429);
    // Only the last hop is trusted: a spoofed left-most entry changes nothing.
    expect(
      (await request(trusted.app).post("/api/auth/nonce").set("X-Forwarded-For", "198.51.100.7, 203.0.113.1"))
        .status,
    ).to.equal(429);

    const direct = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "1", TRUST_PROXY: "0" } });
    expect(
      (await request(direct.app).post("/api/auth/nonce").set("X-Forwarded-For", "203.0.113.1")).status,
    ).to.equal(200);
    expect(
      (await request(direct.app).post("/api/auth/nonce").set("X-Forwarded-For", "203.0.113.2")).status,
    ).to.equal(429);
  });

  it("keys IPv6 clients by their /64", async () => {
    const { app } = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "1", TRUST_PROXY: "1" } });
    expect(
      (await request(app).post("/api/auth/nonce").set("X-Forwarded-For", "2001:db8:1:2::1")).status,
    ).to.equal(200);
    expect(
      (await request(app).post("/api/auth/nonce").set("X-Forwarded-For", "2001:db8:1:2:ffff::9")).status,
    ).to.equal(429);
    expect(
      (await request(app).post("/api/auth/nonce").set("X-Forwarded-For", "2001:db8:1:3::1")).status,
    ).to.equal(200);
  });

  it("also limits a signed-in address across IPs", async () => {
    const t = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "5", TRUST_PROXY: "1" } });
    const cookie = await signIn(t, "192.0.2.1");
    for (let i = 0; i < 5; i++) {
      const res = await request(t.app)
        .get("/api/auth/session")
        .set("X-Forwarded-For", `192.0.2.${10 + i}`)
        .set("Cookie", cookie);
      expect(res.status).to.equal(200);
    }
    expect429(
      await request(t.app)
        .get("/api/auth/session")
        .set("X-Forwarded-For", "192.0.2.99")
        .set("Cookie", cookie),
      "api",
      900,
      "/api/auth/session",
    );
    // The same fresh IP without the session is fine.
    expect(
      (await request(t.app).post("/api/auth/nonce").set("X-Forwarded-For", "192.0.2.99")).status,
    ).to.equal(200);
  });

  it("applies the agent limit to /api/agent only", async () => {
    const { app } = buildTestApp({
      env: { RATE_LIMIT_AGENT_POINTS: "2", RATE_LIMIT_AGENT_WINDOW_SECONDS: "60" },
      routes: [{ path: "/agent", router: okRouter() }],
    });
    expect((await request(app).post("/api/agent").send({ message: "hi" })).status).to.equal(200);
    expect((await request(app).post("/api/agent/").send({ message: "hi" })).status).to.equal(200);
    expect429(await request(app).post("/api/agent").send({ message: "hi" }), "agent", 60, "/api/agent");
    expect((await request(app).post("/api/auth/nonce")).status).to.equal(200);
  });

  it("applies the upload limit to the upload routes only", async () => {
    const { app } = buildTestApp({
      env: { RATE_LIMIT_UPLOAD_POINTS: "2" },
      routes: [
        { path: "/workouts", router: okRouter() },
        { path: "/calendar", router: okRouter() },
      ],
    });
    expect((await request(app).post("/api/workouts/upload")).status).to.equal(200);
    expect((await request(app).post("/api/calendar")).status).to.equal(200);
    expect429(await request(app).post("/api/workouts/upload"), "upload", 3600, "/api/workouts/upload");
    expect((await request(app).get("/api/workouts")).status).to.equal(200);
    expect((await request(app).post("/api/workouts")).status).to.equal(200);
  });
});

describe("clientKey", () => {
  it("normalises client addresses", () => {
    expect(clientKey("203.0.113.9")).to.equal("ip:203.0.113.9");
    expect(clientKey("::ffff:203.0.113.9")).to.equal("ip:203.0.113.9");
    expect(clientKey("2001:db8:1:2:3:4:5:6")).to.equal("ip:2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).to.equal("ip:2001:db8:0:0::/64");
    expect(clientKey("::1")).to.equal("ip:0:0:0:0::/64");
    expect(clientKey("fe80::1%eth0")).to.equal("ip:fe80:0:0:0::/64");
    expect(clientKey(undefined)).to.equal("ip:unknown");
  });
});
