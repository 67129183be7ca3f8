/**
 * CSRF: state-changing requests that a page on another site can send without a preflight (multipart upload,
 * body-less POSTs: attestation, claim, logout) are refused when their Origin is not the web app's, before any
 * body is read; every answer varies on Origin, refused ones included. And the Strava webhook path, with Strava
 * off, counts against the per-IP limit and is never parsed.
 */
import { expect } from "chai";
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
