/**
 * CSRF: state-changing requests that a page on another site can send without a preflight (multipart upload,
 * body-less POSTs: attestation, claim, logout) are refused when their Origin is not the web app's, before any
 * body is read; every answer varies on Origin, refused ones included. And the Strava webhook path, with Strava
 * off, counts against the per-IP limit and is never parsed; with Strava on, it has a per-IP limit of its own.
 */
import { expect } from "chai";
import { Router } from "express";
import request from "supertest";
import { cookieFor, newAccount, openRoutesHarness, type RoutesHarness } from "./routesHarness.ts";
import { buildTestApp, PROBLEM_JSON } from "./testApp.ts";

const WEB = "https://app.example.com";
const EVIL = "https://evil.example.org";

function expectRefused(res: request.Response): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(403);
  expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
  expect(res.body.code).to.equal("origin_refused");
  expect(res.body.field).to.equal("origin");
  expect(res.headers.vary).to.match(/\bOrigin\b/);
  expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
}

describe("origin guard (CSRF)", () => {
  let harness: RoutesHarness;
  let cookie: string;
  before(async () => {
    harness = await openRoutesHarness({ env: { PUBLIC_ORIGIN: WEB } });
    cookie = await cookieFor(harness, newAccount());
  });
  after(async () => {
    await harness?.close();
  });

  it("refuses a multipart upload from another origin before reading it", async () => {
    expectRefused(
      await request(harness.app)
        .post("/api/workouts/upload")
        .set("Cookie", cookie)
        .set("Origin", EVIL)
        .attach("file", Buffer.from("<gpx></gpx>"), "run.gpx"),
    );
  });

  it("refuses body-less POSTs from another origin: attestation, claim, logout", async () => {
    for (const path of [
      "/api/commitments/1/milestones/0/attestation",
      "/api/commitments/1/milestones/0/claim",
      "/api/auth/logout",
    ]) {
      expectRefused(await request(harness.app).post(path).set("Cookie", cookie).set("Origin", EVIL));
    }
    // The session survived the forged logout.
    const me = await request(harness.app).get("/api/auth/session").set("Cookie", cookie);
    expect(me.status).to.equal(200);
  });

  it("refuses look-alike and opaque origins, for PUT, PATCH and DELETE too", async () => {
    for (const origin of ["null", "http://app.example.com", "https://app.example.com.evil.org"]) {
      expectRefused(await request(harness.app).post("/api/auth/logout").set("Origin", origin));
    }
    expectRefused(await request(harness.app).put("/api/preferences").set("Origin", EVIL).send({}));
    expectRefused(await request(harness.app).patch("/api/workouts/x").set("Origin", EVIL).send({}));
    expectRefused(await request(harness.app).delete("/api/workouts/x").set("Origin", EVIL));
  });

  it("lets the web origin and requests without an Origin through", async () => {
    const fromWeb = await request(harness.app)
      .post("/api/auth/logout")
      .set("Origin", WEB)
      .set("Cookie", await cookieFor(harness, newAccount()));
    expect(fromWeb.status).to.equal(204);
    const noOrigin = await request(harness.app)
      .post("/api/auth/logout")
      .set("Cookie", await cookieFor(harness, newAccount()));
    expect(noOrigin.status).to.equal(204);
  });

  it("says Vary: Origin on every answer, a refused origin's included", async () => {
    for (const origin of [WEB, EVIL]) {
      const res = await request(harness.app).get("/health").set("Origin", origin);
      expect(res.status).to.equal(200);
      expect(res.headers.vary, origin).to.match(/\bOrigin\b/);
    }
  });
});

describe("Strava webhook path with Strava off", () => {
  it("counts against the per-IP limit and is never parsed", async () => {
    const { app } = buildTestApp({ env: { RATE_LIMIT_API_POINTS: "2" } });
    const post = () =>
      request(app)
        .post("/api/providers/strava/webhook")
        .set("Content-Type", "application/json")
        .send("{ not json");
    // Not parsed: a malformed body is not a 400, the path simply has no route.
    expect((await post()).status).to.equal(404);
    expect((await post()).status).to.equal(404);
    const limited = await post();
    expect(limited.status).to.equal(429);
    expect(limited.body.code).to.equal("rate_limited");
  });
});

describe("Strava webhook path with Strava on", () => {
  it("has a per-IP limit of its own, apart from the API's", async () => {
    // A stand-in for the provider's router: what is tested is the limit in front of it.
    const provider = Router().post("/webhook", (_req, res) => {
      res.status(200).json({ ok: true });
    });
    const { app } = buildTestApp({
      env: { RATE_LIMIT_API_POINTS: "1", RATE_LIMIT_WEBHOOK_POINTS: "3" },
      routes: [{ path: "/providers/strava", router: provider }],
    });
    const deliver = () =>
      request(app).post("/api/providers/strava/webhook").set("Content-Type", "application/json").send({});
    // More deliveries than the API's per-IP budget of 1 pass: the webhook does not spend it ...
    for (let i = 0; i < 3; i += 1) expect((await deliver()).status, `delivery ${i + 1}`).to.equal(200);
    // ... but a flood from one address is cut off by the webhook's own budget.
    const flooded = await deliver();
    expect(flooded.status).to.equal(429);
    expect(flooded.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(flooded.body.code).to.equal("rate_limited");
    expect(flooded.headers["retry-after"]).to.match(/^\d+$/);
    // The API's own per-IP budget is untouched by the deliveries.
    expect((await request(app).get("/api/auth/session")).status).to.equal(200);
  });
});
