/**
 * `commitments.getWithAcceptedWorkouts` (the one statement behind `GET /api/commitments/:id`, issue 18), on both
 * drivers: the commitment exactly as `get` reads it, and its owner's accepted workouts over its windows exactly as
 * `workouts.acceptedOverlapping` finds them (same rows, same order, times to the ms); nothing of the owner's for
 * anyone else.
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { ValidationError } from "../../src/errors.ts";
import type { CommitmentInput } from "../../src/store/commitmentsRepository.ts";
import type { Store } from "../../src/store/store.ts";
import type { NewWorkout } from "../../src/store/workoutsRepository.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "./storeDrivers.ts";

const MINUTE = 60_000;
const WEEK_SECONDS = 7 * 86_400;
/** The first window's start, unix seconds (Monday 2026-11-23 00:00 UTC). */
const START = Date.UTC(2026, 10, 23) / 1000;
const MILESTONES = 3;
const SPAN_START_MS = START * 1000;
const SPAN_END_MS = (START + MILESTONES * WEEK_SECONDS) * 1000;

function randomAddress(): `0x${string}` {
  return `0x${randomBytes(20).toString("hex")}`;
}

function randomBytes32(): `0x${string}` {
  return `0x${randomBytes(32).toString("hex")}`;
}

function workout(owner: string, startMs: number, minutes: number, overrides: Partial<NewWorkout> = {}) {
  return {
    owner,
    source: "fit",
    contentHash: randomBytes32(),
    sport: "run",
    startTime: new Date(startMs),
    endTime: new Date(startMs + minutes * MINUTE),
    durationSec: minutes * 60 - 7,
    elapsedSec: minutes * 60,
    verdict: { status: "accepted", reasons: [] },
    ...overrides,
  } satisfies NewWorkout;
}

function commitment(owner: string, commitmentId: bigint, vault: string): CommitmentInput {
  return {
    chainId: 31337,
    vault,
    commitmentId,
    owner,
    token: randomAddress(),
    amount: 2n ** 256n - 1n,
    start: START,
    period: WEEK_SECONDS,
    milestones: MILESTONES,
    grace: 86_400,
    beneficiary: randomAddress(),
    rulesHash: randomBytes32(),
    closed: true,
    milestoneStates: ["Released", "Appealed", "Open"],
    appeals: [
      { index: 1, appealedAt: START + 2 * WEEK_SECONDS + 5, bond: "340282366920938463463374607431768211455" },
    ],
    updatedBlock: 9_007_199_254_740_991,
  };
}

for (const driver of storeDrivers) {
  describe(`a commitment with its owner's accepted workouts (${driver.name})`, () => {
    let opened: OpenedTestStore;
    let store: Store;
    // Not a whole second: the row's update time keeps its milliseconds.
    const clock = new ManualClock(SPAN_START_MS + 123_456_789);

    before(async function () {
      opened = await openOrSkip(this, driver, clock, driver.name);
      store = opened.store;
    });
    after(async () => {
      await opened?.cleanup();
    });

    it("reads the commitment as get does and the owner's workouts as acceptedOverlapping does", async () => {
      const owner = randomAddress();
      const vault = randomAddress();
      await store.commitments.upsert(commitment(owner, 2n ** 255n, vault));
      const counted = [
        // Started before the first window, still running when it opened: overlaps, as in acceptedOverlapping.
        workout(owner, SPAN_START_MS - 10 * MINUTE, 30),
        // Two at the same start (ordered by id) and one at an odd millisecond.
        workout(owner, SPAN_START_MS + 3 * 86_400_000, 45, { source: "manual", sport: "strength" }),
        workout(owner, SPAN_START_MS + 3 * 86_400_000, 20, { sport: "yoga" }),
        workout(owner, SPAN_START_MS + 15 * 86_400_000 + 1_234, 61, { source: "provider" }),
        // Ends a minute after the last window: starts inside it.
        workout(owner, SPAN_END_MS - MINUTE, 2),
      ];
      const left = [
        workout(owner, SPAN_START_MS - 30 * MINUTE, 30), // ends as the first window opens
        workout(owner, SPAN_END_MS, 30), // starts as the last window closes
        workout(owner, SPAN_START_MS + 86_400_000, 30, {
          verdict: { status: "rejected", reasons: [{ code: "overlaps_existing", message: "Overlaps." }] },
        }),
        workout(randomAddress(), SPAN_START_MS + 86_400_000, 30), // someone else's
      ];
      const stored = await store.workouts.insertMany([...counted, ...left]);
      const key = { chainId: 31337, vault, commitmentId: 2n ** 255n };

      const found = await store.commitments.getWithAcceptedWorkouts({
        ...key,
        owner: `0x${owner.slice(2).toUpperCase()}`,
      });
      expect(found?.commitment).to.deep.equal(await store.commitments.get(key));
      expect(found?.commitment.updatedAt.getTime()).to.equal(clock.now());
      const expected = await store.workouts.acceptedOverlapping(
        owner,
        new Date(SPAN_START_MS),
        new Date(SPAN_END_MS),
      );
      expect(found?.workouts).to.deep.equal(
        expected.map((w) => ({
          id: w.id,
          source: w.source,
          sport: w.sport,
          startTime: w.startTime.getTime(),
          durationSec: w.durationSec,
        })),
      );
      expect(new Set(found?.workouts.map((w) => w.id))).to.deep.equal(
        new Set(stored.slice(0, counted.length).map((w) => w.id)),
      );
      expect(found?.workouts.map((w) => w.startTime)).to.include(SPAN_START_MS + 15 * 86_400_000 + 1_234);
    });

    it("reads nothing of the owner's workouts for someone else, and null for no commitment", async () => {
      const owner = randomAddress();
      const vault = randomAddress();
      await store.commitments.upsert(commitment(owner, 7n, vault));
      await store.workouts.insert(workout(owner, SPAN_START_MS + MINUTE, 30));
      const key = { chainId: 31337, vault, commitmentId: 7n };
      const other = await store.commitments.getWithAcceptedWorkouts({ ...key, owner: randomAddress() });
      expect(other?.commitment).to.deep.equal(await store.commitments.get(key));
      expect(other?.workouts).to.deep.equal([]);
      const mine = await store.commitments.getWithAcceptedWorkouts({ ...key, owner });
      expect(mine?.workouts).to.have.length(1);
      expect(await store.commitments.getWithAcceptedWorkouts({ ...key, commitmentId: 8n, owner })).to.equal(
        null,
      );
    });

    it("rejects an invalid key or owner before it reaches the database", async () => {
      const key = { chainId: 31337, vault: randomAddress(), commitmentId: 1n };
      for (const invalid of [
        { ...key, owner: "0x1234" },
        { ...key, commitmentId: -1n, owner: randomAddress() },
      ]) {
        const error = await store.commitments.getWithAcceptedWorkouts(invalid).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ValidationError);
      }
    });
  });
}
