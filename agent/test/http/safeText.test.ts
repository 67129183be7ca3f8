/**
 * Text PostgreSQL cannot store (NUL) or that is not Unicode (a lone surrogate) is refused at the parse boundary
 * with a 400 naming the field, wherever it is: a JSON body (workout notes, coach messages, preferences, calendar
 * text), a text/calendar upload, a query string. Before, it reached the database and came back as a 500 or a
 * 503 `database_error` (which also raised the "database down" alert).
 */
import { expect } from "chai";
import request from "supertest";
import { privateKeyToAccount } from "viem/accounts";
import { createRulesProvider } from "../../src/coach/agent/rulesProvider.ts";
import { coachRouter } from "../../src/coach/http/coachRouter.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import { findUnsafeText, isUnsafeText } from "../../src/http/safeText.ts";
import { type CoachTestContext, openCoachTest, seedCommitment } from "../coach/coachFixtures.ts";
import { cookieFor, newAccount, openRoutesHarness, type RoutesHarness } from "./routesHarness.ts";
import { signIn } from "./signIn.ts";
import { buildTestApp, PROBLEM_JSON, type TestApp } from "./testApp.ts";

const NUL = "\u0000";
const LONE_HIGH = "\uD83D";
const LONE_LOW = "\uDE00";

function expectInvalidText(res: request.Response, field: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(400);
  expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
  expect(res.body.code).to.equal("invalid_text");
  expect(res.body.field).to.equal(field);
}

describe("safe text at the parse boundary", () => {
  it("isUnsafeText: NUL and lone surrogates, not paired ones", () => {
    expect(isUnsafeText(`a${NUL}b`)).to.equal(true);
    expect(isUnsafeText(`a${LONE_HIGH}`)).to.equal(true);
    expect(isUnsafeText(`${LONE_LOW}a`)).to.equal(true);
    expect(isUnsafeText(`${LONE_LOW}${LONE_HIGH}`)).to.equal(true);
    expect(isUnsafeText("run 😀 ü")).to.equal(false);
    expect(isUnsafeText("")).to.equal(false);
  });

  it("findUnsafeText names the path, through arrays and objects, without recursion", () => {
    expect(findUnsafeText({ a: [{ b: "ok" }, { c: `x${NUL}` }] })).to.equal("a.1.c");
    expect(findUnsafeText({ [`k${NUL}`]: 1 })).to.equal("(body)");
    expect(findUnsafeText({ ok: "fine", n: 1, t: true, z: null })).to.equal(undefined);
    let deep: unknown = `x${NUL}`;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(findUnsafeText(deep)?.split(".").length).to.equal(100_000);
  });

  describe("workout routes", () => {
    let harness: RoutesHarness;
    let cookie: string;
    before(async () => {
      harness = await openRoutesHarness();
      cookie = await cookieFor(harness, newAccount());
    });
    after(async () => {
      await harness?.close();
    });

    it("refuses notes with a NUL or a lone surrogate in a manual log (400, not 500)", async () => {
      const log = { sport: "run", startTime: "2026-11-22T07:00:00Z", durationMin: 30 };
      for (const notes of [`easy${NUL}`, `easy ${LONE_HIGH}`]) {
        expectInvalidText(
          await request(harness.app)
            .post("/api/workouts")
            .set("Cookie", cookie)
            .send({ ...log, notes }),
          "notes",
        );
      }
    });

    it("refuses a NUL in a query string, named with its prefix", async () => {
      expectInvalidText(
        await request(harness.app).get("/api/workouts?cursor=%00").set("Cookie", cookie),
        "query.cursor",
      );
    });
  });

  describe("coach routes", () => {
    let t: CoachTestContext;
    let test: TestApp;
    let cookie: string;
    const account = privateKeyToAccount(`0x${"8".repeat(64)}`);

    before(async () => {
      t = await openCoachTest();
      // An explicit id: the fixtures' shared counter numbers other suites' commitments.
      await seedCommitment(t.store, { owner: account.address, id: 9_001n });
      const router = coachRouter({
        coach: t.deps,
        agent: { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
        maxMessageChars: 500,
        calendarMaxBytes: 64 * 1024,
      });
      test = buildTestApp({ routes: [{ path: "/", router }] });
      cookie = await signIn({ app: test.app, clock: test.clock, account });
    });
    after(async () => {
      await t.store.close();
    });

    it("refuses a coach message with a NUL or a lone surrogate", async () => {
      for (const message of [`hi${NUL}`, `hi ${LONE_LOW}`]) {
        expectInvalidText(
          await request(test.app).post("/api/agent").set("Cookie", cookie).send({ message }),
          "message",
        );
      }
    });

    it("refuses a webhook URL with a NUL, and a time zone with a lone surrogate", async () => {
      expectInvalidText(
        await request(test.app)
          .put("/api/preferences")
          .set("Cookie", cookie)
          .send({ channels: ["webhook"], webhookUrl: `https://hooks.example.com/a${NUL}b` }),
        "webhookUrl",
      );
      expectInvalidText(
        await request(test.app)
          .put("/api/preferences")
          .set("Cookie", cookie)
          .send({ channels: [], timezone: `Europe/Berlin${LONE_HIGH}` }),
        "timezone",
      );
    });

    it("refuses calendar text with a NUL, as JSON or as text/calendar", async () => {
      const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1${NUL}\r\nDTSTART:20261124T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR`;
      expectInvalidText(
        await request(test.app).post("/api/calendar").set("Cookie", cookie).send({ ics }),
        "ics",
      );
      expectInvalidText(
        await request(test.app)
          .post("/api/calendar")
          .set("Cookie", cookie)
          .set("Content-Type", "text/calendar")
          .send(ics),
        "ics",
      );
    });
  });
});
