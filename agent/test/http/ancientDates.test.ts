/**
 * Dates before 0001-01-01 (year 0 and negative years, which ISO 8601 and JavaScript accept) are refused with a
 * 400 naming the field, not stored: PostgreSQL keeps them as "BC" dates, which come back as a different instant
 * (year 0 read back as 2001 or as an invalid date) and break every window computed from them.
 */
import { expect } from "chai";
import request from "supertest";
import { parseIsoTime, YEAR_ONE_MS } from "../../src/workouts/isoTime.ts";
import { cookieFor, newAccount, openRoutesHarness, type RoutesHarness } from "./routesHarness.ts";
import { PROBLEM_JSON } from "./testApp.ts";

describe("dates before year 1", () => {
  let harness: RoutesHarness;
  let cookie: string;
  before(async () => {
    harness = await openRoutesHarness();
    cookie = await cookieFor(harness, newAccount());
  });
  after(async () => {
    await harness?.close();
  });

  it("a manual log starting in year 0 or before is a 400 naming startTime", async () => {
    for (const startTime of [
      "0000-06-01T10:00:00Z",
      "0000-12-31T23:59:59+00:00",
      "-000001-06-01T10:00:00Z",
    ]) {
      const res = await request(harness.app)
        .post("/api/workouts")
        .set("Cookie", cookie)
        .send({ sport: "run", startTime, durationMin: 30 });
      expect(res.status, `${startTime}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.field).to.equal("startTime");
    }
    const list = await request(harness.app).get("/api/workouts").set("Cookie", cookie);
    expect(list.status).to.equal(200);
    expect(list.body.workouts).to.deep.equal([]);
  });

  it("year 1 itself is still a date (judged by the verifier, not refused as malformed)", async () => {
    const res = await request(harness.app)
      .post("/api/workouts")
      .set("Cookie", cookie)
      .send({ sport: "run", startTime: "0001-01-01T00:00:00Z", durationMin: 30 });
    expect(res.status, JSON.stringify(res.body)).to.not.equal(400);
    expect(res.status).to.be.below(500);
  });

  it("a manual log in years 1 to 99 is answered and listed at the instant it names (bug 27)", async () => {
    const account = await cookieFor(harness, newAccount());
    const starts = ["0001-03-05T10:00:00.000Z", "0026-03-05T10:00:00.000Z", "0099-06-01T08:00:00.000Z"];
    for (const startTime of starts) {
      const res = await request(harness.app)
        .post("/api/workouts")
        .set("Cookie", account)
        .send({ sport: "walk", startTime, durationMin: 20 });
      expect(res.status, `${startTime}: ${JSON.stringify(res.body)}`).to.equal(201);
      expect(Date.parse(res.body.workouts[0].startTime)).to.equal(Date.parse(startTime));
    }
    const list = await request(harness.app).get("/api/workouts").set("Cookie", account);
    expect(list.status, JSON.stringify(list.body)).to.equal(200);
    const listed = (list.body.workouts as { startTime: string }[]).map((w) => Date.parse(w.startTime));
    expect(listed.sort((a, b) => a - b)).to.deep.equal(starts.map((s) => Date.parse(s)));
  });

  it("GPX/TCX timestamps before year 1 read as no timestamp", () => {
    expect(parseIsoTime("0000-06-01T10:00:00Z")).to.equal(undefined);
    expect(parseIsoTime("-0001-06-01T10:00:00Z")).to.equal(undefined);
    expect(parseIsoTime("0001-01-01T00:00:00Z")).to.equal(YEAR_ONE_MS);
    expect(YEAR_ONE_MS).to.equal(new Date("0001-01-01T00:00:00Z").getTime());
  });
});
