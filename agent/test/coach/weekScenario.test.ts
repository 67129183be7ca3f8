/**
 * A simulated week on a ManualClock, one scheduler pass per hour: an on-track user gets no nudge; a user who
 * falls behind gets an escalating series (plan → free slot → money at stake) within the daily cap and never in
 * quiet hours; a user who catches up stops getting nudges once the milestone is met.
 */
import { expect } from "chai";
import { isQuietAt } from "../../src/coach/quietHours.ts";
import { runCoachPass } from "../../src/coach/scheduler/runCoachPass.ts";
import { startOfLocalDay } from "../../src/coach/zonedTime.ts";
import type { NudgeRecord } from "../../src/store/nudgesRepository.ts";
import {
  addWorkout,
  type CoachTestContext,
  DAY,
  HOUR,
  openCoachTest,
  randomOwner,
  seedCommitment,
  WEEK_START,
} from "./coachFixtures.ts";

const TZ = "Europe/Berlin";
/** Local Berlin time (winter, UTC+1) of day `d` (0 = Monday) at `hour`. */
const at = (d: number, hour: number) => WEEK_START + d * DAY + hour * HOUR;

describe("coach scenario: a simulated week", () => {
  let t: CoachTestContext;
  const onTrack = randomOwner();
  const behind = randomOwner();
  const catchesUp = randomOwner();
  let metAt = 0;
  const nudgesOf = async (owner: string): Promise<NudgeRecord[]> =>
    (await t.store.nudges.listByOwner(owner)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

  before(async function () {
    this.timeout(120_000);
    t = await openCoachTest();
    for (const owner of [onTrack, behind, catchesUp]) {
      await seedCommitment(t.store, { owner });
      await t.store.coachPreferences.put({
        owner,
        timezone: TZ,
        quietStartMin: 22 * 60,
        quietEndMin: 7 * 60,
        channels: ["inApp"],
        dailyCap: 1,
        email: null,
        webhookUrl: null,
      });
    }
    const workouts = [
      ...[0, 2, 4].map((d) => ({ owner: onTrack, startMs: at(d, 7) })),
      { owner: catchesUp, startMs: at(2, 18) },
      { owner: catchesUp, startMs: at(3, 7.5) },
      { owner: catchesUp, startMs: at(3, 18) },
    ];
    metAt = at(3, 18) + 45 * 60_000;
    for (let hour = 8; hour < 7 * 24; hour += 1) {
      const now = at(0, hour);
      t.clock.set(now);
      for (const w of workouts.filter(
        (w) => w.startMs + 45 * 60_000 <= now && w.startMs + 45 * 60_000 > now - HOUR,
      )) {
        await addWorkout(t.store, { owner: w.owner, startMs: w.startMs, minutes: 45 });
      }
      const pass = await runCoachPass(t.deps);
      expect(pass.errors).to.equal(0);
    }
  });
  after(() => t.store.close());

  it("an on-track user gets no nudge", async () => {
    expect(await nudgesOf(onTrack)).to.deep.equal([]);
  });

  it("a user falling behind gets plan → slot → stakes, outside quiet hours and within the cap", async () => {
    const nudges = await nudgesOf(behind);
    expect(nudges.map((n) => n.dedupeKey.split(":").at(-1))).to.deep.equal(["plan", "slot", "stakes"]);
    expect(nudges.every((n) => n.status === "delivered" && n.channel === "inApp")).to.equal(true);
    for (const n of nudges)
      expect(isQuietAt(n.createdAt.getTime(), TZ, { startMin: 1320, endMin: 420 })).to.equal(false);
    const perDay = new Map<number, number>();
    for (const n of nudges) {
      const day = startOfLocalDay(n.createdAt.getTime(), TZ);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    expect([...perDay.values()].every((count) => count <= 1)).to.equal(true);
    expect(nudges.map((n) => n.createdAt.toISOString())).to.deep.equal([
      new Date(at(2, 8)).toISOString(), // Wed 08:00: a third of the week gone, 0 of 3
      new Date(at(4, 7)).toISOString(), // Fri: 3/7 left from 00:00, quiet until 07:00
      new Date(at(6, 7)).toISOString(), // Sun: 1/7 left from 00:00, quiet until 07:00
    ]);
    expect(nudges[0]?.message).to.equal(
      "0 of 3 done for milestone 1, 112 h left: plan 3 more workouts of at least 30 min now.",
    );
    expect(nudges[1]?.message).to.equal(
      "0 of 3 done, 65 h left: you are free Fri 27 Nov 07:00-21:00, a good time for a workout.",
    );
    expect(nudges[2]?.message).to.equal("25 USDC at stake, 17 h left: 3 more workouts to go.");
  });

  it("stops once the milestone is met", async () => {
    const nudges = await nudgesOf(catchesUp);
    expect(nudges.length).to.be.greaterThan(0);
    expect(nudges.every((n) => n.createdAt.getTime() < metAt)).to.equal(true);
    const feed = await t.store.nudges.listFeed(catchesUp);
    expect(feed.items.length).to.equal(nudges.length);
  });

  it("does not nudge for a settled milestone", async () => {
    const owner = randomOwner();
    await seedCommitment(t.store, {
      owner,
      states: ["Released", "Open", "Open", "Open", "Open", "Open", "Open", "Open"],
    });
    t.clock.set(at(6, 12));
    await runCoachPass(t.deps);
    expect(await nudgesOf(owner)).to.deep.equal([]);
  });
});
