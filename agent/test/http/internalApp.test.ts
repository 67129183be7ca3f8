/**
 * `/metrics` and `/health?deep=1` say what is slow, what is down and how the agent is built: they are served
 * on the internal listener (INTERNAL_HOST:INTERNAL_PORT, default 127.0.0.1:PORT+1), never to anonymous callers
 * on the public port, which keeps `GET /health` (liveness) for load balancers.
 */
import { expect } from "chai";
import request from "supertest";
import { loadConfig } from "../../src/config.ts";
import { createInternalApp } from "../../src/http/internalApp.ts";
import { startServer } from "../../src/http/startServer.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import { buildTestApp, PROBLEM_JSON } from "./testApp.ts";

describe("internal listener", () => {
  it("the public app serves liveness, but not /metrics nor the deep report", async () => {
    let ran = 0;
    const { app } = buildTestApp({ checks: { database: async () => void ran++ } });
    expect((await request(app).get("/health")).body).to.deep.equal({ status: "ok" });
    for (const path of ["/metrics", "/health?deep=1", "/health?deep=true"]) {
      const res = await request(app).get(path);
      expect(res.status, path).to.equal(404);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.text).to.not.include("agent_http_request_duration_seconds");
    }
    expect(ran).to.equal(0);
  });

  it("the internal app serves both", async () => {
    const { app, internalApp } = buildTestApp({ checks: { database: async () => {} } });
    await request(app).get("/health");
    const metrics = await request(internalApp).get("/metrics");
    expect(metrics.status).to.equal(200);
    expect(metrics.text).to.include('agent_http_request_duration_seconds_count{method="GET",route="/health"');
    const deep = await request(internalApp).get("/health?deep=1");
    expect(deep.status).to.equal(200);
    expect(deep.body.checks).to.deep.equal({ database: { status: "ok" } });
    expect((await request(internalApp).get("/api/auth/session")).status).to.equal(404);
  });

  it("listens on 127.0.0.1, PORT + 1, unless configured; refuses INTERNAL_PORT = PORT", () => {
    const config = loadConfig({ PORT: "9000" });
    expect(config.internal).to.deep.equal({ port: 9001, host: "127.0.0.1" });
    expect(loadConfig({ INTERNAL_PORT: "9464", INTERNAL_HOST: "10.0.0.5" }).internal).to.deep.equal({
      port: 9464,
      host: "10.0.0.5",
    });
    expect(() => loadConfig({ PORT: "9000", INTERNAL_PORT: "9000" })).to.throw(/INTERNAL_PORT/);
  });

  it("main's listener binds the internal host and answers /metrics there", async () => {
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const logger = createLogger({ level: "silent" });
    const internal = createInternalApp({
      config,
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      health: { checks: {} },
    });
    const server = await startServer({
      app: internal,
      config,
      logger,
      port: 0,
      host: config.internal.host,
      name: "internal listener",
    });
    try {
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).to.equal(200);
    } finally {
      await server.close(1_000);
    }
  });
});
