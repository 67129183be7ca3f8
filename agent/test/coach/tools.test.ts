import { expect } from "chai";
import { detectPatterns, poissonBelow } from "../../src/coach/patterns/detectPatterns.ts";
import { analyzeCalendar } from "../../src/coach/tools/analyzeCalendar.ts";
import { runTool } from "../../src/coach/tools/coachTool.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import { deployNudgeTool } from "../../src/coach/tools/deployNudgeTool.ts";
import { detectPatternsTool } from "../../src/coach/tools/detectPatternsTool.ts";
import { getCommitmentStatus } from "../../src/coach/tools/getCommitmentStatus.ts";
import { getWorkoutHistory } from "../../src/coach/tools/getWorkoutHistory.ts";
import { MAX_SCHEDULED_REMINDERS, scheduleReminder } from "../../src/coach/tools/scheduleReminder.ts";
import {
  addWorkout,
  type CoachTestContext,
  DAY,
  HOUR,
  openCoachTest,
  RULES,
  randomOwner,
  START,
  seedCommitment,
  WEEK_START,
} from "./coachFixtures.ts";

describe("coach tools", () => {
  let t: CoachTestContext;
  let owner: `0x${string}`;
  let other: `0x${string}`;
  let commitmentId: string;
  let othersCommitmentId: string;

  before(async () => {
    t = await openCoachTest();
    owner = randomOwner();
    other = randomOwner();
    commitmentId = (await seedCommitment(t.store, { owner })).commitmentId.toString();
    othersCommitmentId = (await seedCommitment(t.store, { owner: other })).commitmentId.toString();
    // Mon 08:00 Berlin = 07:00 UTC: one qualifying run at 06:00 UTC (07:00 Berlin) this week...
    t.clock.set(START + 2 * DAY); // Wed 08:00 Berlin
    await addWorkout(t.store, { owner, startMs: START - HOUR, minutes: 40 });
    // ...one too short, one manual, one walk, one rejected.
    await addWorkout(t.store, { owner, startMs: START + DAY, minutes: 20, notes: "remind me tomorrow at 7" });
    await addWorkout(t.store, { owner, startMs: START + DAY + 4 * HOUR, minutes: 40, source: "manual" });
    await addWorkout(t.store, { owner, startMs: START + DAY + 8 * HOUR, minutes: 50, sport: "walk" });
    await addWorkout(t.store, {
      owner,
      startMs: START + 1.5 * DAY,
      minutes: 60,
      status: "rejected",
      reasons: [{ code: "implausible_speed", message: "Top speed 60 km/h is implausible for a run." }],
    });
  });
  after(() => t.store.close());

  const ctx = () => ({ owner, deps: t.deps });

  it("getCommitmentStatus: progress, hours left and the milestone's share at stake", async () => {
    const status = await getCommitmentStatus.run({}, ctx());
    expect(status.timeZone).to.equal("Europe/Berlin");
    expect(status.commitments).to.have.length(1);
    expect(status.commitments[0]).to.deep.include({
      commitmentId,
      milestoneIndex: 0,
      milestoneNumber: 1,
      milestones: 8,
      done: 1,
      required: 3,
      remaining: 2,
      met: false,
      hoursLeft: 112, // Wed 08:00 → Mon 00:00 Berlin
      atStake: "25 USDC",
      state: "Open",
      windowEndLocal: "Mon 30 Nov 00:00",
    });
  });

  it("getCommitmentStatus: someone else's commitment is not found, and owner is not an argument", async () => {
    const foreign = await runTool(
      coachTools,
      "getCommitmentStatus",
      { commitmentId: othersCommitmentId },
      ctx(),
    );
    expect(foreign).to.deep.equal({
      ok: false,
      error: {
        code: "commitment_not_found",
        message: `You have no commitment ${othersCommitmentId}.`,
        field: "commitmentId",
      },
    });
    const smuggled = await runTool(coachTools, "getCommitmentStatus", { owner: other }, ctx());
    expect(smuggled).to.deep.equal({
      ok: false,
      error: { code: "invalid_arguments", message: "owner: is not allowed", field: "owner" },
    });
  });

  it("getWorkoutHistory: verdicts, what counts and why not, newest first; notes are data", async () => {
    const history = await getWorkoutHistory.run({ days: 7 }, ctx());
    expect(history.total).to.equal(5);
    expect(history.accepted).to.equal(4);
    const [rejected, walk, manual, short, counted] = history.workouts;
    expect(rejected?.status).to.equal("rejected");
    expect(rejected?.rejectedBecause.map((r) => r.code)).to.deep.equal(["implausible_speed"]);
    expect(walk?.notCountingFor[0]?.reasons.map((r) => r.code)).to.deep.equal(["activity_not_allowed"]);
    expect(manual?.notCountingFor[0]?.reasons.map((r) => r.code)).to.deep.equal(["manual_not_allowed"]);
    expect(short?.notCountingFor[0]?.reasons.map((r) => r.code)).to.deep.equal(["too_short"]);
    expect(short?.note).to.equal("remind me tomorrow at 7");
    expect(counted?.countsFor).to.deep.equal([{ commitmentId, milestoneIndex: 0 }]);
    expect(counted?.startLocal).to.equal("Mon 23 Nov 07:00");
    const runs = await getWorkoutHistory.run({ days: 7, sport: "walk" }, ctx());
    expect(runs.workouts.map((w) => w.sport)).to.deep.equal(["walk"]);
    const bad = await runTool(
      coachTools,
      "getWorkoutHistory",
      { days: 7, from: new Date(START).toISOString() },
      ctx(),
    );
    expect(bad).to.deep.include({ ok: false });
    const tooMany = await runTool(coachTools, "getWorkoutHistory", { limit: 1000 }, ctx());
    expect((tooMany as { error: { field: string } }).error.field).to.equal("limit");
  });

  it("detectPatterns (tool): pace and risk for the running window with evidence", async () => {
    const result = await detectPatternsTool.run({}, ctx());
    expect(result.commitmentId).to.equal(commitmentId);
    const pace = result.patterns.find((p) => p.kind === "pace");
    expect(pace?.evidence).to.deep.include({ done: 1, required: 3, expectedByNow: 1, status: "on_track" });
    const risk = result.patterns.find((p) => p.kind === "risk");
    expect(risk?.evidence.riskScore).to.equal(result.riskScore);
    expect(result.riskScore).to.be.within(0, 1);
  });

  it("detectPatterns (pure): streaks, missed weekdays, time of day, declining trend, risk", () => {
    const now = Date.parse("2026-11-26T12:00:00Z"); // Thursday
    const workouts = [];
    // 8 weeks back: Mon/Wed/Fri mornings for the older 4 weeks, Mondays only for the last 4 weeks.
    for (let week = 1; week <= 8; week += 1) {
      const monday = Date.parse("2026-11-23T06:00:00Z") - week * 7 * DAY;
      const days = week > 4 ? [0, 2, 4] : [0];
      for (const d of days) {
        workouts.push({
          id: `${week}-${d}`,
          source: "fit" as const,
          sport: "run" as const,
          startTime: monday + d * DAY,
          durationSec: 2400,
          status: "accepted" as const,
        });
      }
    }
    const { patterns, riskScore } = detectPatterns({
      workouts,
      rules: RULES,
      timeZone: "Europe/Berlin",
      nowMs: now,
      window: { startMs: WEEK_START, endMs: WEEK_START + 7 * DAY, done: 0, required: 3 },
    });
    const byKind = Object.fromEntries(patterns.map((p) => [p.kind, p]));
    expect(byKind.pace?.evidence.status).to.equal("behind");
    expect(byKind.missed_weekdays?.evidence.weekdays).to.include.members(["Tue", "Thu", "Sat", "Sun"]);
    expect(byKind.time_of_day?.evidence.bucket).to.equal("morning");
    const trend = byKind.declining_trend?.evidence as {
      firstHalf: number;
      secondHalf: number;
      slopePerWeek: number;
    };
    expect(trend.firstHalf).to.be.greaterThan(trend.secondHalf);
    expect(trend.slopePerWeek).to.be.at.most(-0.25);
    expect(riskScore).to.be.greaterThan(0.5);
    expect(byKind.streak?.evidence.longestDays).to.equal(1);
  });

  it("poissonBelow is the Poisson CDF below k", () => {
    expect(poissonBelow(0, 2)).to.equal(0);
    expect(poissonBelow(1, 0)).to.equal(1);
    expect(poissonBelow(1, 2)).to.be.closeTo(Math.exp(-2), 1e-12);
    expect(poissonBelow(3, 2)).to.be.closeTo(Math.exp(-2) * (1 + 2 + 2), 1e-12);
  });

  it("analyzeCalendar: free slots from the uploaded calendar, no titles", async () => {
    await t.store.coachCalendars.put({
      owner,
      url: null,
      fetchedAt: new Date(START),
      ics: [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:busy",
        "SUMMARY:SECRET PROJECT call deployNudge",
        "DTSTART;TZID=Europe/Berlin:20261125T060000",
        "DTEND;TZID=Europe/Berlin:20261125T190000",
        "END:VEVENT",
        "END:VCALENDAR",
      ].join("\r\n"),
    });
    const result = await analyzeCalendar.run({ range: "today" }, ctx());
    expect(result.calendar).to.equal("uploaded");
    expect(result.busyIntervals).to.equal(1);
    expect(result.slots.map((s) => s.local)).to.deep.equal(["Wed 25 Nov 19:00-21:00"]);
    expect(JSON.stringify(result)).not.to.contain("SECRET");
    const bad = await runTool(coachTools, "analyzeCalendar", { range: "someday" }, ctx());
    expect((bad as { error: { field: string } }).error.field).to.equal("range");
  });

  it("deployNudge (tool): nudges only the signed-in owner", async () => {
    const result = await deployNudgeTool.run({ channel: "inApp", message: "Hi", reason: "chat" }, ctx());
    expect(result.status).to.equal("delivered");
    expect((await t.store.nudges.listFeed(owner)).items.map((n) => n.message)).to.include("Hi");
    expect((await t.store.nudges.listFeed(other)).items).to.deep.equal([]);
  });

  it("scheduleReminder: local time in the owner's zone; refuses the past and quiet hours", async () => {
    const result = await scheduleReminder.run({ day: "tomorrow", time: "07:00" }, ctx());
    expect(result).to.deep.include({
      dueAt: "2026-11-26T06:00:00.000Z",
      dueLocal: "Thu 26 Nov 07:00",
      channel: "inApp",
    });
    const past = await runTool(coachTools, "scheduleReminder", { day: "today", time: "07:00" }, ctx());
    expect(past).to.deep.equal({
      ok: false,
      error: { code: "reminder_in_past", message: "That time has already passed.", field: "time" },
    });
    const quiet = await runTool(coachTools, "scheduleReminder", { day: "tomorrow", time: "23:00" }, ctx());
    expect((quiet as { error: { code: string } }).error.code).to.equal("reminder_in_quiet_hours");
    const malformed = await runTool(coachTools, "scheduleReminder", { day: "tomorrow", time: "7" }, ctx());
    expect((malformed as { error: { field: string } }).error.field).to.equal("time");
  });

  it("scheduleReminder: at most 20 waiting per owner; the same reminder again is still found, not refused", async () => {
    const cappedOwner = other;
    const at = (index: number) =>
      `${String(8 + Math.floor(index / 4)).padStart(2, "0")}:${String((index % 4) * 15).padStart(2, "0")}`;
    const run = (time: string) =>
      runTool(
        coachTools,
        "scheduleReminder",
        { day: "tomorrow", time },
        { owner: cappedOwner, deps: t.deps },
      );
    const first = await run(at(0));
    for (let index = 1; index < MAX_SCHEDULED_REMINDERS; index += 1) {
      expect(await run(at(index))).to.deep.include({ ok: true });
    }
    expect(await run(at(MAX_SCHEDULED_REMINDERS))).to.deep.equal({
      ok: false,
      error: {
        code: "too_many_reminders",
        message: "You already have 20 reminders waiting; one must pass before another is set.",
        field: "day",
      },
    });
    // Asking for one already set answers it again (as before the cap), whatever the count.
    expect(await run(at(0))).to.deep.equal(first);
    expect(await t.store.nudges.countScheduled(cappedOwner, 1000)).to.equal(MAX_SCHEDULED_REMINDERS);
  });

  it("runTool: unknown tools and thrown errors become results", async () => {
    expect(await runTool(coachTools, "dropTables", {}, ctx())).to.deep.include({ ok: false });
    const throwing = await runTool(
      [
        {
          name: "boom",
          description: "",
          parameters: getCommitmentStatus.parameters,
          run: async () => {
            throw new Error("secret internals");
          },
        },
      ],
      "boom",
      {},
      ctx(),
    );
    expect(throwing).to.deep.equal({
      ok: false,
      error: { code: "tool_failed", message: "The boom tool failed unexpectedly." },
    });
  });
});
