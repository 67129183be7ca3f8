/**
 * A calendar cannot freeze the agent (security review): recurrence expansion is bounded per request in range,
 * steps and time, starts near the range for series that began long ago (and still finds the same occurrences),
 * runs in a worker with a hard timeout (a rule on which one ical.js step never ends is cut off), and a scheduler
 * pass stops at its own time bound.
 */
import { expect } from "chai";
import ICAL from "ical.js";
import request from "supertest";
import { privateKeyToAccount } from "viem/accounts";
import { createRulesProvider } from "../../src/coach/agent/rulesProvider.ts";
import { createCalendarExpander, expandBusyIntervals } from "../../src/coach/calendar/expandCalendar.ts";
import { type BusyInterval, parseIcs } from "../../src/coach/calendar/parseIcs.ts";
import { coachRouter } from "../../src/coach/http/coachRouter.ts";
import { runCoachPass } from "../../src/coach/scheduler/runCoachPass.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import type { AgentError } from "../../src/errors.ts";
import { signIn } from "../http/signIn.ts";
import { buildTestApp, type TestApp } from "../http/testApp.ts";
import { type CoachTestContext, openCoachTest, randomOwner, START, seedCommitment } from "./coachFixtures.ts";

const DAY_MS = 86_400_000;
const FROM = Date.parse("2026-11-23T07:00:00Z");

function calendar(events: string[][]): string {
  const lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"];
  for (const [i, event] of events.entries()) {
    lines.push("BEGIN:VEVENT", `UID:e${i}@test`, "DTSTAMP:20260101T000000Z", ...event, "END:VEVENT");
  }
  lines.push("END:VCALENDAR");
  return lines.join("\r\n");
}

/** The security review's bomb: `count` events, each every minute since 1900, never ending. */
function minutelyBomb(count: number): string {
  return calendar(
    Array.from({ length: count }, () => [
      "DTSTART:19000101T000000Z",
      "DTEND:19000101T000030Z",
      "RRULE:FREQ=MINUTELY",
    ]),
  );
}

/** Occurrences overlapping [from, to) found by walking each series from its very first occurrence (UTC only). */
function referenceBusy(ics: string, fromMs: number, toMs: number): BusyInterval[] {
  const root = new ICAL.Component(ICAL.parse(ics) as unknown[]);
  const busy: BusyInterval[] = [];
  for (const component of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(component);
    const iterator = event.iterator();
    for (let next = iterator.next(); next !== null && next !== undefined; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      const startMs = details.startDate.toUnixTime() * 1000;
      if (startMs >= toMs) break;
      const endMs = details.endDate.toUnixTime() * 1000;
      if (endMs > fromMs) busy.push({ startMs, endMs });
    }
  }
  return busy.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    return error as AgentError;
  }
  throw new Error("expected a rejection");
}

/** Runs `task` while a 10 ms timer measures how late the event loop gets to it; returns the worst lateness. */
async function worstLateness(task: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  try {
    await task();
  } finally {
    clearInterval(timer);
  }
  return Math.max(worst, performance.now() - last - 10);
}

describe("calendar bombs", () => {
  it("refuses the 100-event FREQ=MINUTELY-since-1900 calendar within the step budget (was 6.6 s)", () => {
    let error: AgentError | undefined;
    try {
      parseIcs({ ics: minutelyBomb(100), fromMs: FROM, toMs: FROM + 7 * DAY_MS, timeZone: "Europe/Zurich" });
    } catch (caught) {
      error = caught as AgentError;
    }
    expect(error?.code).to.equal("calendar_too_complex");
    // The step budget (20,000) or, on a loaded machine, the time budget (1 s): whichever comes first.
    expect(error?.details.field).to.equal("ics");
    expect(error?.details.maxExpansions ?? error?.details.maxMillis).to.be.oneOf([20_000, 1_000]);
  });

  it("stops at the time budget between steps", () => {
    let now = 0;
    let error: AgentError | undefined;
    try {
      parseIcs({
        ics: minutelyBomb(1),
        fromMs: FROM,
        toMs: FROM + 7 * DAY_MS,
        timeZone: "UTC",
        maxMillis: 50,
        elapsed: () => (now += 10),
      });
    } catch (caught) {
      error = caught as AgentError;
    }
    expect(error?.code).to.equal("calendar_too_complex");
    expect(error?.details).to.deep.include({ maxMillis: 50 });
  });

  it("starts a long-running series near the range and finds exactly the occurrences a full walk finds", () => {
    const ics = calendar([
      ["DTSTART:19900102T090000Z", "DTEND:19900102T100000Z", "RRULE:FREQ=DAILY"],
      ["DTSTART:20010102T170000Z", "DTEND:20010102T183000Z", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"],
      ["DTSTART:20200101T030000Z", "DTEND:20200101T031500Z", "RRULE:FREQ=HOURLY;INTERVAL=5"],
      ["DTSTART:20250101T000000Z", "DTEND:20250101T000500Z", "RRULE:FREQ=MINUTELY;INTERVAL=997"],
      [
        "DTSTART:20150105T120000Z",
        "DTEND:20150105T123000Z",
        "RRULE:FREQ=DAILY;BYDAY=MO,FR;UNTIL=20261127T000000Z",
      ],
      ["DTSTART:19990101T000000Z", "DTEND:19990104T000000Z", "RRULE:FREQ=WEEKLY"], // three days long
      [
        "DTSTART:20100103T060000Z",
        "DTEND:20100103T070000Z",
        "RRULE:FREQ=DAILY",
        "EXDATE:20261124T060000Z,20261201T060000Z",
      ],
      ["DTSTART:20000101T000000Z", "DTEND:20000101T010000Z", "RRULE:FREQ=DAILY;COUNT=20000"],
      ["DTSTART:20261001T080000Z", "DTEND:20261001T090000Z", "RRULE:FREQ=DAILY;COUNT=60"], // ends in the range
      ["DTSTART:20000101T200000Z", "DTEND:20000101T210000Z", "RRULE:FREQ=WEEKLY;COUNT=10"], // ended in 2000
    ]);
    const toMs = FROM + 14 * DAY_MS;
    const { busy } = parseIcs({ ics, fromMs: FROM, toMs, timeZone: "UTC" });
    expect(busy).to.deep.equal(referenceBusy(ics, FROM, toMs));
    expect(busy.length).to.be.greaterThan(100);
  });

  it("keeps wall-clock times across zone changes when starting a zoned series near the range", () => {
    const ics = calendar([
      [
        "DTSTART;TZID=Europe/Zurich:19950103T090000",
        "DTEND;TZID=Europe/Zurich:19950103T100000",
        "RRULE:FREQ=DAILY",
      ],
    ]);
    const winter = parseIcs({ ics, fromMs: FROM, toMs: FROM + 3 * DAY_MS, timeZone: "UTC" }).busy;
    expect(winter.map((b) => new Date(b.startMs).toISOString().slice(11, 16))).to.deep.equal([
      "08:00",
      "08:00",
      "08:00",
    ]);
    const julyFrom = Date.parse("2026-07-01T00:00:00Z");
    const summer = parseIcs({ ics, fromMs: julyFrom, toMs: julyFrom + 2 * DAY_MS, timeZone: "UTC" }).busy;
    expect(summer.map((b) => new Date(b.startMs).toISOString().slice(11, 16))).to.deep.equal([
      "07:00",
      "07:00",
    ]);
  });

  it("clips the range to 31 days", () => {
    const ics = calendar([["DTSTART:20260101T120000Z", "DTEND:20260101T130000Z", "RRULE:FREQ=DAILY"]]);
    const { busy } = parseIcs({ ics, fromMs: FROM, toMs: FROM + 365 * DAY_MS, timeZone: "UTC" });
    expect(busy.length).to.equal(31);
    expect(busy.at(-1)?.startMs).to.be.below(FROM + 31 * DAY_MS);
  });

  it("expands the 1,000-event bomb in a worker: the event loop stays free (was 66 s blocked)", async function () {
    this.timeout(20_000);
    let error: AgentError | undefined;
    const lateness = await worstLateness(async () => {
      error = await rejection(
        expandBusyIntervals({
          ics: minutelyBomb(1_000),
          fromMs: FROM,
          toMs: FROM + 7 * DAY_MS,
          timeZone: "UTC",
        }),
      );
    });
    expect(error?.code).to.equal("calendar_too_complex");
    expect(lateness).to.be.below(250);
  });

  it("cuts off a rule on which one ical.js step never ends, then serves the next calendar", async function () {
    this.timeout(20_000);
    const expander = createCalendarExpander({ timeoutMs: 500 });
    try {
      // February 30th never comes: ical.js steps day after day, forever, inside a single next().
      const impossible = calendar([
        ["DTSTART:20260105T100000Z", "DTEND:20260105T110000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"],
      ]);
      const started = performance.now();
      const error = await rejection(
        expander.expand({ ics: impossible, fromMs: FROM, toMs: FROM + DAY_MS, timeZone: "UTC" }),
      );
      expect(error.code).to.equal("calendar_too_complex");
      expect(error.details).to.deep.include({ field: "ics", timeoutMs: 500 });
      expect(performance.now() - started).to.be.below(5_000);
      const fine = calendar([["DTSTART:20261123T120000Z", "DTEND:20261123T130000Z"]]);
      const { busy } = await expander.expand({
        ics: fine,
        fromMs: FROM,
        toMs: FROM + DAY_MS,
        timeZone: "UTC",
      });
      expect(busy).to.deep.equal([
        { startMs: Date.parse("2026-11-23T12:00:00Z"), endMs: Date.parse("2026-11-23T13:00:00Z") },
      ]);
      // Malformed calendars come back as the same typed errors as on the main thread.
      const malformed = await rejection(
        expander.expand({ ics: "nope", fromMs: FROM, toMs: FROM + DAY_MS, timeZone: "UTC" }),
      );
      expect(malformed.code).to.equal("invalid_calendar");
    } finally {
      await expander.close();
    }
  });

  describe("through the API", () => {
    let t: CoachTestContext;
    let test: TestApp;
    let cookie: string;
    const account = privateKeyToAccount(`0x${"9".repeat(64)}`);
    before(async () => {
      t = await openCoachTest();
      await seedCommitment(t.store, { owner: account.address, id: 9_201n });
      const router = coachRouter({
        coach: t.deps,
        agent: { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
        maxMessageChars: 500,
        calendarMaxBytes: 1024 * 1024,
      });
      test = buildTestApp({ routes: [{ path: "/", router }] });
      cookie = await signIn({ app: test.app, clock: test.clock, account });
    });
    after(() => t.store.close());

    it("a signed-in wallet's bomb calendar answers the question without freezing anyone (was 66 s)", async function () {
      this.timeout(30_000);
      const upload = await request(test.app)
        .post("/api/calendar")
        .set("Cookie", cookie)
        .set("Content-Type", "text/calendar")
        .send(minutelyBomb(1_000));
      expect(upload.status, JSON.stringify(upload.body)).to.equal(200);
      expect(upload.body.events).to.equal(1_000);
      let res: request.Response | undefined;
      const lateness = await worstLateness(async () => {
        res = await request(test.app)
          .post("/api/agent")
          .set("Cookie", cookie)
          .send({ message: "When can I work out this week?" });
      });
      if (res === undefined) throw new Error("the coach did not answer");
      expect(res.status).to.equal(200);
      const call = (res.body.toolCalls as { name: string; ok: boolean; error?: { code: string } }[]).find(
        (c) => c.name === "analyzeCalendar",
      );
      expect(call?.ok).to.equal(false);
      expect(call?.error?.code).to.equal("calendar_too_complex");
      expect(lateness).to.be.below(500);
    });
  });

  describe("scheduler pass", () => {
    let t: CoachTestContext;
    before(async () => {
      t = await openCoachTest();
      // Explicit ids: the fixtures' shared counter numbers other suites' commitments.
      for (let i = 0; i < 3; i += 1) {
        await seedCommitment(t.store, { owner: randomOwner(), id: 9_101n + BigInt(i) });
      }
      t.clock.set(START);
    });
    after(() => t.store.close());

    it("stops evaluating at maxDurationMs and says it was cut short", async () => {
      let now = 0;
      const pass = await runCoachPass(t.deps, { maxDurationMs: 1_500, elapsed: () => (now += 1_000) });
      expect(pass.truncated).to.equal(true);
      expect(pass.commitments).to.equal(1);
      const whole = await runCoachPass(t.deps);
      expect(whole.truncated).to.equal(false);
      expect(whole.commitments).to.equal(3);
    });
  });
});
