/**
 * `POST /api/rules` with a store: the canonical document is kept (idempotently), so the agent knows the rules of
 * every commitment whose hash went through it; a refused document stores nothing. The answer is unchanged (see
 * rules.test.ts for the route without a store).
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import express from "express";
import request from "supertest";
import { ManualClock } from "../../src/clock.ts";
import { errorHandler } from "../../src/http/errorHandler.ts";
import { rulesRouter } from "../../src/http/rulesRouter.ts";
import { canonicalizeRules } from "../../src/rules/rulesDocument.ts";
import { type OpenedTestStore, pgliteDriver, queryRows } from "../store/storeDrivers.ts";

const RULES = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};

describe("POST /api/rules with a store", function () {
  this.timeout(60_000);
  let opened: OpenedTestStore;
  let app: express.Express;

  before(async () => {
    opened = await pgliteDriver.open(new ManualClock(Date.UTC(2026, 10, 23, 7)));
    app = express();
    app.use(express.json());
    app.use("/api/rules", rulesRouter({ store: opened.store }));
    app.use(errorHandler);
  });
  after(async () => {
    await opened?.cleanup();
  });

  const count = async () =>
    Number(
      (
        await queryRows<{ count: string | number }>(
          opened.database,
          sql`select count(*) as count from rules_documents`,
        )
      )[0]?.count,
    );

  it("keeps the canonical document under its hash and answers as before", async () => {
    const { rulesHash, canonical } = canonicalizeRules(RULES);
    const res = await request(app).post("/api/rules").send({ rules: RULES });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ rulesHash, canonical });
    const stored = await opened.store.rulesDocuments.get(rulesHash);
    expect(stored?.canonicalJson).to.equal(canonical);
    expect(stored?.createdAt.toISOString()).to.equal("2026-11-23T07:00:00.000Z");
  });

  it("is idempotent: the same document twice (in any key order) is one row", async () => {
    const reordered = {
      evidence: "device",
      perMilestone: RULES.perMilestone,
      timezone: "Europe/Berlin",
      version: 1,
    };
    const res = await request(app).post("/api/rules").send({ rules: reordered });
    expect(res.status).to.equal(200);
    expect(await count()).to.equal(1);
  });

  it("stores nothing for a refused document", async () => {
    const res = await request(app)
      .post("/api/rules")
      .send({ rules: { ...RULES, evidence: "vibes" } });
    expect(res.status).to.equal(422);
    expect(res.body.field).to.equal("rules.evidence");
    const extra = await request(app).post("/api/rules").send({ rules: RULES, owner: "x" });
    expect(extra.status).to.equal(400);
    expect(await count()).to.equal(1);
  });
});
