import { once } from "node:events";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import { DependencyError } from "../../src/errors.ts";
import { redisHealthCheck, rpcHealthCheck, signerHealthCheck } from "../../src/http/healthChecks.ts";
import { buildTestApp, JSON_TYPE, PROBLEM_JSON, typeOf } from "./testApp.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("createApp", () => {
  describe("GET /health", () => {
    it("answers liveness with 200 { status: ok } without running checks", async () => {
      let ran = 0;
      const { app } = buildTestApp({ checks: { database: async () => void ran++ } });
      const res = await request(app).get("/health");
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal(JSON_TYPE);
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(res.body).to.deep.equal({ status: "ok" });
      expect(ran).to.equal(0);
    });

    it("answers ?deep=1 with 200 and every check when all pass", async () => {
      const { internalApp: app } = buildTestApp({
        checks: {
          database: async () => {},
          redis: async () => {},
          rpc: async () => {},
          signer: async () => {},
        },
      });
      const res = await request(app).get("/health?deep=1");
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        status: "ok",
        checks: {
          database: { status: "ok" },
          redis: { status: "ok" },
          rpc: { status: "ok" },
          signer: { status: "ok" },
        },
      });
    });

    it("answers ?deep=1 with 503 and per-check results when one fails or hangs", async () => {
      const { internalApp: app, logs } = buildTestApp({
        env: { HEALTH_CHECK_TIMEOUT_MS: "50" },
        checks: {
          database: async () => {},
          redis: async () => {
            throw new DependencyError({ code: "redis_unavailable", message: "redis does not answer" });
          },
          rpc: () => new Promise(() => {}),
          signer: async () => {
            throw new Error("secret internal detail");
          },
        },
      });
      const res = await request(app).get("/health?deep=true");
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({
        status: "unavailable",
        checks: {
          database: { status: "ok" },
          redis: { status: "error", error: "redis does not answer" },
          rpc: { status: "error", error: "timed out after 50 ms" },
          signer: { status: "error", error: "check failed" },
        },
      });
      expect(
        logs.filter((line) => line.msg === "health check failed").map((line) => line.check),
      ).to.have.members(["redis", "rpc", "signer"]);
    });

    it("passes an AbortSignal that fires when a check times out", async () => {
      let signal: AbortSignal | undefined;
      const { internalApp: app } = buildTestApp({
        env: { HEALTH_CHECK_TIMEOUT_MS: "50" },
        checks: {
          slow: (s) => {
            signal = s;
            return new Promise(() => {});
          },
        },
      });
      await request(app).get("/health?deep=1");
      expect(signal?.aborted).to.equal(true);
    });

    it("shares one run between concurrent deep probes", async () => {
      let runs = 0;
      const { internalApp: app } = buildTestApp({
        checks: {
          database: async () => {
            runs++;
            await new Promise((resolve) => setTimeout(resolve, 30));
          },
        },
      });
      const results = await Promise.all([1, 2, 3].map(() => request(app).get("/health?deep=1")));
      expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(runs).to.equal(1);
    });

    it("answers ?deep=0 as liveness and a bad deep value with 400 naming it", async () => {
      const { app } = buildTestApp({
        checks: { x: async () => Promise.reject(new Error("down")) },
      });
      expect((await request(app).get("/health?deep=0")).body).to.deep.equal({ status: "ok" });
      const res = await request(app).get("/health?deep=yes");
      expect(res.status).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body).to.deep.equal({
        type: typeOf("invalid_request"),
        title: "Bad Request",
        status: 400,
        detail: 'query.deep: Invalid option: expected one of "0"|"1"|"false"|"true"',
        code: "invalid_request",
        field: "query.deep",
        issues: [{ field: "query.deep", message: 'Invalid option: expected one of "0"|"1"|"false"|"true"' }],
        instance: "/health",
        requestId: res.headers["x-request-id"],
      });
    });
  });

  describe("ready-made health checks", () => {
    it("redisHealthCheck passes on PONG and fails with a short message", async () => {
      await redisHealthCheck({ ping: async () => "PONG" })(new AbortController().signal);
      const error = await redisHealthCheck({ ping: () => Promise.reject(new Error("ECONNREFUSED")) })(
        new AbortController().signal,
      ).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).message).to.equal("redis does not answer");
    });

    it("rpcHealthCheck fails when the endpoint serves another chain", async () => {
      await rpcHealthCheck({ getChainId: async () => 31337 }, 31337)(new AbortController().signal);
      const error = await rpcHealthCheck(
        { getChainId: async () => 1 },
        31337,
      )(new AbortController().signal).catch((e: unknown) => e);
      expect((error as DependencyError).message).to.equal("the RPC endpoint serves chain 1, expected 31337");
      expect((error as DependencyError).code).to.equal("rpc_wrong_chain");
    });

    it("signerHealthCheck signs a probe and fails when the signer cannot", async () => {
      await signerHealthCheck({ signTypedData: async () => "0x00" })(new AbortController().signal);
      const error = await signerHealthCheck({ signTypedData: () => Promise.reject(new Error("kms")) })(
        new AbortController().signal,
      ).catch((e: unknown) => e);
      expect((error as DependencyError).code).to.equal("signer_unavailable");
    });
  });

  describe("GET /metrics", () => {
    it("serves the app's own registry in Prometheus text, with request durations by route pattern", async () => {
      const { app, internalApp, metrics } = buildTestApp();
      await request(app).post("/api/auth/nonce");
      await request(app).get("/api/nowhere/123");
      await request(app).get("/health");
      metrics.attestationsIssued.inc();
      metrics.workoutsVerified.inc({ status: "rejected", reason: "gps_teleport" });
      const res = await request(internalApp).get("/metrics");
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal("text/plain; version=0.0.4; charset=utf-8");
      expect(res.text).to.include(
        'agent_http_request_duration_seconds_count{method="POST",route="/api/auth/nonce",status="200"} 1',
      );
      expect(res.text).to.include(
        'agent_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
      );
      // A router mounted at its prefix is labelled by it, without a trailing slash.
      expect(res.text).to.include(
        'agent_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 1',
      );
      expect(res.text).to.include("agent_attestations_issued_total 1");
      expect(res.text).to.include('agent_workouts_verified_total{status="rejected",reason="gps_teleport"} 1');
      expect(res.text).to.include("# TYPE agent_claims_relayed_total counter");
      expect(res.text).to.include("# TYPE agent_slashes_sent_total counter");
      expect(res.text).to.include("# TYPE agent_rate_limiter_degradations_total counter");
    });
  });

  describe("route labels", () => {
    /** The GET route labels `/metrics` holds, and the whole text. */
    async function getLabels(internalApp: Express): Promise<{ routes: string[]; text: string }> {
      const res = await request(internalApp).get("/metrics");
      const routes = [
        ...res.text.matchAll(/agent_http_request_duration_seconds_count\{method="GET",route="([^"]*)"/g),
      ].map((match) => match[1] ?? "");
      return { routes: routes.sort(), text: res.text };
    }

    /** A GET with this exact request target (absolute form, a fragment), which supertest cannot send. */
    async function getRaw(app: Express, target: string): Promise<number> {
      const server = app.listen(0, "127.0.0.1");
      await once(server, "listening");
      try {
        const { port } = server.address() as AddressInfo;
        return await new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: "127.0.0.1", port, path: target, method: "GET" }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end();
        });
      } finally {
        server.close();
      }
    }

    it("of requests a nested router failed are the route's pattern whatever the target's form: a URL never becomes a label", async () => {
      const { app, internalApp } = buildTestApp();
      const paths = ["/api/rules/abc123", "/api/rules/def456/", "/API/Rules/ghi789", "/api/RULES/jkl012/"];
      for (const path of paths) expect((await request(app).get(path)).status).to.equal(400);
      expect(await getRaw(app, "http://evil-1.example/api/rules/mno345")).to.equal(400);
      expect(await getRaw(app, "/api/rules/pqr678#/x/y/z")).to.equal(400);
      const { routes, text } = await getLabels(internalApp);
      expect(routes).to.deep.equal(["/api/rules/:hash"]);
      expect(text).to.include(
        'agent_http_request_duration_seconds_count{method="GET",route="/api/rules/:hash",status="400"} 6',
      );
    });

    it("of answered requests are the lower-case pattern whatever the path's case", async () => {
      const { app, internalApp } = buildTestApp();
      for (const path of ["/health", "/HEALTH", "/Health/"])
        expect((await request(app).get(path)).status).to.equal(200);
      const { routes, text } = await getLabels(internalApp);
      expect(routes).to.deep.equal(["/health"]);
      expect(text).to.include(
        'agent_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 3',
      );
    });
  });

  describe("CORS", () => {
    const { app } = buildTestApp({ env: { PUBLIC_ORIGIN: "https://app.example.com" } });

    it("lets the configured web origin in, with credentials", async () => {
      const res = await request(app).get("/health").set("Origin", "https://app.example.com");
      expect(res.headers["access-control-allow-origin"]).to.equal("https://app.example.com");
      expect(res.headers["access-control-allow-credentials"]).to.equal("true");
      expect(res.headers["access-control-expose-headers"]).to.equal(
        "X-Request-Id,Retry-After,Idempotent-Replayed",
      );
      expect(res.headers.vary).to.equal("Origin");
    });

    it("answers the web origin's preflight", async () => {
      const res = await request(app)
        .options("/api/auth/verify")
        .set("Origin", "https://app.example.com")
        .set("Access-Control-Request-Method", "POST")
        .set("Access-Control-Request-Headers", "content-type");
      expect(res.status).to.equal(204);
      expect(res.headers["access-control-allow-origin"]).to.equal("https://app.example.com");
      expect(res.headers["access-control-allow-credentials"]).to.equal("true");
      expect(res.headers["access-control-allow-methods"]).to.equal("GET,HEAD,POST,PUT,PATCH,DELETE");
      expect(res.headers["access-control-allow-headers"]).to.equal(
        "Content-Type,X-Request-Id,Idempotency-Key",
      );
      expect(res.headers["access-control-max-age"]).to.equal("600");
    });

    it("gives any other origin no CORS grant", async () => {
      for (const origin of [
        "https://evil.example.org",
        "http://app.example.com",
        "https://app.example.com.evil.org",
      ]) {
        const res = await request(app).get("/health").set("Origin", origin);
        expect(res.status).to.equal(200);
        expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
        expect(res.headers["access-control-allow-credentials"]).to.equal(undefined);
        const preflight = await request(app)
          .options("/api/auth/verify")
          .set("Origin", origin)
          .set("Access-Control-Request-Method", "POST");
        expect(preflight.headers["access-control-allow-origin"]).to.equal(undefined);
      }
    });
  });

  describe("request ids", () => {
    const { app, logs } = buildTestApp();

    it("mints a UUID and echoes it in X-Request-Id and the request log", async () => {
      const res = await request(app).post("/api/auth/nonce");
      expect(res.headers["x-request-id"]).to.match(UUID);
      const completed = logs.find(
        (line) =>
          line.msg === "request completed" &&
          (line.req as { id?: string }).id === res.headers["x-request-id"],
      );
      expect(completed?.level).to.equal(30);
    });

    it("keeps a well-formed incoming id", async () => {
      const res = await request(app).get("/nowhere").set("X-Request-Id", "edge-1234.abc");
      expect(res.headers["x-request-id"]).to.equal("edge-1234.abc");
      expect(res.body.requestId).to.equal("edge-1234.abc");
    });

    it("replaces an incoming id that is too long or carries odd characters", async () => {
      for (const id of ["a".repeat(129), "x y", "<script>"]) {
        const res = await request(app).get("/health").set("X-Request-Id", id);
        expect(res.headers["x-request-id"]).to.match(UUID);
      }
    });

    it("logs a request by id, method, path and status, never its headers or query string", async () => {
      const res = await request(app)
        .post("/api/auth/nonce?code=oauth-code-123&state=xyz")
        .set("Cookie", "ra_session=topsecret")
        .set("Authorization", "Bearer bearer-secret");
      const line = logs.find(
        (l) => l.msg === "request completed" && (l.req as { id?: string }).id === res.headers["x-request-id"],
      );
      if (line === undefined) throw new Error("no request log line");
      expect(line.req).to.deep.include({ method: "POST", path: "/api/auth/nonce" });
      expect(line.req).not.to.have.property("headers");
      expect(line.res).to.deep.equal({ statusCode: res.status });
      expect(line.responseTime).to.be.a("number");
      const text = JSON.stringify(logs);
      for (const secret of ["topsecret", "bearer-secret", "oauth-code-123"])
        expect(text).not.to.include(secret);
    });
  });

  describe("security headers", () => {
    it("sets a JSON API's security headers (OWASP REST) and no X-Powered-By", async () => {
      const { app } = buildTestApp();
      for (const res of [
        await request(app).get("/health"),
        await request(app).get("/api/nowhere"),
        await request(app).post("/api/auth/nonce"),
      ]) {
        expect(res.headers["content-security-policy"]).to.equal("default-src 'none';frame-ancestors 'none'");
        expect(res.headers["x-frame-options"]).to.equal("DENY");
        expect(res.headers["x-content-type-options"]).to.equal("nosniff");
        expect(res.headers["cross-origin-resource-policy"]).to.equal("same-site");
        expect(res.headers["cache-control"]).to.equal("no-store");
        for (const absent of [
          "strict-transport-security",
          "x-powered-by",
          "x-xss-protection",
          "x-dns-prefetch-control",
          "origin-agent-cluster",
          "referrer-policy",
          "cross-origin-opener-policy",
        ]) {
          expect(res.headers[absent], absent).to.equal(undefined);
        }
      }
    });

    it("sends Strict-Transport-Security over HTTPS only (as a trusted proxy reports it)", async () => {
      const { app } = buildTestApp({ env: { TRUST_PROXY: "1" } });
      const secure = await request(app).get("/health").set("X-Forwarded-Proto", "https");
      expect(secure.headers["strict-transport-security"]).to.equal("max-age=31536000; includeSubDomains");
      const plain = await request(app).get("/health").set("X-Forwarded-Proto", "http");
      expect(plain.headers["strict-transport-security"]).to.equal(undefined);
      // Without a trusted proxy, a client's own X-Forwarded-Proto proves nothing.
      const untrusted = buildTestApp().app;
      const spoofed = await request(untrusted).get("/health").set("X-Forwarded-Proto", "https");
      expect(spoofed.headers["strict-transport-security"]).to.equal(undefined);
    });
  });
});
