/**
 * `GET /api/rules/:hash`: a document kept by `POST /api/rules` comes back parsed under its hash (any hex case);
 * an unknown hash is a 404 `rules_not_found`, a malformed one a 400 naming `params.hash`, and without a store
 * every hash is unknown.
 */
import { expect } from "chai";
import express from "express";
import request from "supertest";
import { ManualClock } from "../../src/clock.ts";
import { errorHandler } from "../../src/http/errorHandler.ts";
import { rulesRouter } from "../../src/http/rulesRouter.ts";
import { canonicalizeRules } from "../../src/rules/rulesDocument.ts";
import { type OpenedTestStore, pgliteDriver } from "../store/storeDrivers.ts";

const RULES = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 2, minMinutes: 20, activities: ["run"] },
  evidence: "device",
};

describe("GET /api/rules/:hash", function () {
  this.timeout(60_000);
  let opened: OpenedTestStore;
  let app: express.Express;

  before(async () => {
    opened = await pgliteDriver.open(new ManualClock(Date.UTC(2026, 11, 5, 7)));
    app = express();
    app.use(express.json());
    app.use("/api/rules", rulesRouter({ store: opened.store }));
    app.use(errorHandler);
  });
  after(async () => {
    await opened?.cleanup();
  });

  it("answers a registered document under its hash, in either hex case", async () => {
    const { rulesHash, canonical } = canonicalizeRules(RULES);
    expect((await request(app).post("/api/rules").send({ rules: RULES })).status).to.equal(200);
    for (const hash of [rulesHash, `0x${rulesHash.slice(2).toUpperCase()}`]) {
      const res = await request(app).get(`/api/rules/${hash}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ rulesHash, rules: JSON.parse(canonical) });
    }
  });

  it("404 rules_not_found for a hash nobody registered", async () => {
    const res = await request(app).get(`/api/rules/0x${"ab".repeat(32)}`);
    expect(res.status).to.equal(404);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect(res.body.code).to.equal("rules_not_found");
  });

  it("400 naming params.hash for a malformed hash", async () => {
    const res = await request(app).get("/api/rules/0x1234");
    expect(res.status).to.equal(400);
    expect(JSON.stringify(res.body)).to.contain("params.hash");
  });

  it("without a store, every hash is unknown", async () => {
    const bare = express();
    bare.use("/api/rules", rulesRouter());
    bare.use(errorHandler);
    const res = await request(bare).get(`/api/rules/${canonicalizeRules(RULES).rulesHash}`);
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal("rules_not_found");
  });
});
