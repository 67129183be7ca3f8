/**
 * The set-based reads the coach's scheduler pass uses per page (issue 18), on both drivers:
 * `workouts.acceptedOverlappingOwners` gives exactly what `acceptedOverlapping` gives owner by owner, and
 * `coachPreferences.getMany` what `get` gives, and `nudges.coachInterventionsSince` the coach's interventions of
 * those owners created since a time (reminders and other owners left out).
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import type { NewNudge } from "../../src/store/nudgesRepository.ts";
import type { Store } from "../../src/store/store.ts";
import type { NewWorkout } from "../../src/store/workoutsRepository.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "./storeDrivers.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 23, 7);

function randomAddress(): `0x${string}` {
  return `0x${randomBytes(20).toString("hex")}`;
}

function workout(owner: string, startMs: number, minutes: number, accepted = true): NewWorkout {
  return {
    owner,
    source: "fit",
    contentHash: `0x${randomBytes(32).toString("hex")}`,
    sport: "run",
    startTime: new Date(startMs),
    endTime: new Date(startMs + minutes * MINUTE),
    durationSec: minutes * 60,
    elapsedSec: minutes * 60,
    verdict: accepted
      ? { status: "accepted", reasons: [] }
      : { status: "rejected", reasons: [{ code: "overlaps_existing", message: "Overlaps." }] },
  };
}

for (const driver of storeDrivers) {
  describe(`page queries of the coach pass (${driver.name})`, () => {
    let opened: OpenedTestStore;
    let store: Store;
    const clock = new ManualClock(T0);

    before(async function () {
      opened = await openOrSkip(this, driver, clock, driver.name);
      store = opened.store;
    });
    after(async () => {
      await opened?.cleanup();
    });

    it("acceptedOverlappingOwners equals acceptedOverlapping owner by owner (rows and order)", async () => {
      const owners = [randomAddress(), randomAddress(), randomAddress()];
      for (const [i, owner] of owners.entries()) {
        for (let k = 0; k < 4; k += 1)
          await store.workouts.insert(workout(owner, T0 + (k * 50 + i) * MINUTE, 40));
        await store.workouts.insert(workout(owner, T0 + 10 * MINUTE, 20, false));
      }
      const stranger = randomAddress();
      await store.workouts.insert(workout(stranger, T0, 60));
      const start = new Date(T0 + 45 * MINUTE);
      const end = new Date(T0 + 160 * MINUTE);
      const upper = owners.map((o) => `0x${o.slice(2).toUpperCase()}`);
      const together = await store.workouts.acceptedOverlappingOwners(
        [...upper, owners[0] ?? ""],
        start,
        end,
      );
      const oneByOne = [];
      for (const owner of [...owners].sort())
        oneByOne.push(...(await store.workouts.acceptedOverlapping(owner, start, end)));
      expect(together).to.deep.equal(oneByOne);
      expect(together.length).to.equal(9);
      expect(together.some((w) => w.owner === stranger)).to.equal(false);
      expect(await store.workouts.acceptedOverlappingOwners([], start, end)).to.deep.equal([]);
    });

    it("coachPreferences.getMany equals get for owners with and without saved preferences", async () => {
      const saved = randomAddress();
      const none = randomAddress();
      await store.coachPreferences.put({
        owner: saved,
        timezone: "Europe/Berlin",
        quietStartMin: 22 * 60,
        quietEndMin: 7 * 60,
        channels: ["inApp"],
        dailyCap: 2,
        email: null,
        webhookUrl: null,
      });
      const many = await store.coachPreferences.getMany([saved, none]);
      expect([...many.keys()]).to.deep.equal([saved]);
      expect(many.get(saved)).to.deep.equal(await store.coachPreferences.get(saved));
      expect(await store.coachPreferences.get(none)).to.equal(null);
    });

    it("nudges.coachInterventionsSince finds the coach's interventions of those owners since a time", async () => {
      const [a, b, other] = [randomAddress(), randomAddress(), randomAddress()];
      const nudge = (owner: string, dedupeKey: string): NewNudge => ({
        owner,
        channel: "inApp",
        dedupeKey,
        reason: "behind",
        message: "Two runs to go.",
        status: "pending",
        dueAt: new Date(clock.now()),
      });
      const old = await store.nudges.reserve(nudge(a, "coach:31337:0xv:1:0:plan"));
      clock.advance(3_600_000);
      const since = new Date(clock.now());
      const aNew = await store.nudges.reserve(nudge(a, "coach:31337:0xv:1:1:plan"));
      const bNew = await store.nudges.reserve(nudge(b, "coach:31337:0xv:2:1:slot"));
      await store.nudges.reserve(nudge(b, "reminder:abc"));
      await store.nudges.reserve(nudge(other, "coach:31337:0xv:3:1:plan"));
      const found = await store.nudges.coachInterventionsSince([a, b], since);
      expect(found.map((n) => n.id).sort()).to.deep.equal([aNew?.id, bNew?.id].sort());
      expect(found.find((n) => n.id === aNew?.id)).to.deep.equal(
        await store.nudges.find(a, "inApp", "coach:31337:0xv:1:1:plan"),
      );
      expect(old).to.not.equal(null);
      expect(await store.nudges.coachInterventionsSince([], since)).to.deep.equal([]);
    });
  });
}
