import canonicalize from "canonicalize";
import { expect } from "chai";
import { keccak256, toBytes } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { manualActivityOf, manualWorkoutLogSchema } from "../../src/services/manualWorkoutLog.ts";
import { type ManualActivity, verifyManualWorkout } from "../../src/services/verifyManualWorkout.ts";

const NOW = Date.parse("2026-11-23T07:00:00Z");
const clock = new ManualClock(NOW);

function activity(overrides: Partial<ManualActivity> = {}): ManualActivity {
  return {
    contentHash: `0x${"11".repeat(32)}`,
    sport: "run",
    startTime: NOW - 2 * 3_600_000,
    durationSec: 2700,
    distanceM: 9000,
    ...overrides,
  };
}

describe("manualWorkoutLog", () => {
  it("hashes the canonical JSON of the entered fields, so the same log gives the same hash", () => {
    const a = manualActivityOf(
      manualWorkoutLogSchema.parse({ sport: "run", startTime: "2026-11-23T06:00:00+01:00", durationMin: 45 }),
    );
    const b = manualActivityOf(
      manualWorkoutLogSchema.parse({
        durationSec: 2700,
        startTime: "2026-11-23T05:00:00.000Z",
        sport: "run",
      }),
    );
    const expected = keccak256(
      toBytes(
        canonicalize({
          kind: "manual",
          sport: "run",
          startTime: "2026-11-23T05:00:00.000Z",
          durationSec: 2700,
        }) ?? "",
      ),
    );
    expect(a.contentHash).to.equal(expected);
    expect(b.contentHash).to.equal(expected);
    expect(a).to.deep.equal({
      contentHash: expected,
      sport: "run",
      startTime: Date.parse("2026-11-23T05:00:00Z"),
      durationSec: 2700,
    });
    const withNotes = manualActivityOf(
      manualWorkoutLogSchema.parse({
        sport: "run",
        startTime: "2026-11-23T05:00:00Z",
        durationSec: 2700,
        notes: "easy",
      }),
    );
    expect(withNotes.contentHash).to.not.equal(expected);
    expect(withNotes.notes).to.equal("easy");
  });

  it("hashes non-ASCII text as viem's keccak256 of its UTF-8 bytes does (hashes already stored stay valid)", () => {
    const log = {
      sport: "run",
      startTime: "2026-11-23T05:00:00.000Z",
      durationSec: 2700,
      notes: "Läuft ✓ 🏃 — 走る",
    };
    const activity = manualActivityOf(manualWorkoutLogSchema.parse(log));
    const viemHash = keccak256(
      toBytes(
        canonicalize({
          kind: "manual",
          sport: "run",
          startTime: log.startTime,
          durationSec: 2700,
          notes: log.notes,
        }) ?? "",
      ),
    );
    expect(activity.contentHash).to.equal(viemHash);
  });

  it("refuses logs without an offset, with both or neither duration, or with control characters", () => {
    const cases: [unknown, string][] = [
      [{ sport: "run", startTime: "2026-11-23T05:00:00", durationSec: 60 }, "startTime"],
      [{ sport: "run", startTime: "2026-11-23T05:00:00Z" }, "durationMin"],
      [{ sport: "run", startTime: "2026-11-23T05:00:00Z", durationSec: 60, durationMin: 1 }, "durationSec"],
      [{ sport: "run", startTime: "2026-11-23T05:00:00Z", durationSec: 60, notes: "a\u0000b" }, "notes"],
      [{ sport: "run", startTime: "2026-11-23T05:00:00Z", durationSec: 172_801 }, "durationSec"],
    ];
    for (const [input, field] of cases) {
      const result = manualWorkoutLogSchema.safeParse(input);
      expect(result.success, JSON.stringify(input)).to.equal(false);
      expect(result.error?.issues[0]?.path.join(".")).to.equal(field);
    }
  });
});

describe("verifyManualWorkout", () => {
  it("accepts a credible past log", () => {
    expect(verifyManualWorkout(activity(), { clock, acceptedExisting: [] })).to.deep.equal({
      status: "accepted",
      reasons: [],
    });
  });

  it("rejects a log that ends in the future (beyond 5 minutes of skew)", () => {
    const verdict = verifyManualWorkout(activity({ startTime: NOW - 2700_000 + 301_000 }), {
      clock,
      acceptedExisting: [],
    });
    expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["future_timestamp"]);
    const withinSkew = verifyManualWorkout(activity({ startTime: NOW - 2700_000 + 300_000 }), {
      clock,
      acceptedExisting: [],
    });
    expect(withinSkew.status).to.equal("accepted");
  });

  it("rejects absurd dates and durations, and speeds beyond the sport's limit", () => {
    const old = verifyManualWorkout(activity({ startTime: Date.UTC(1999, 0, 1) }), {
      clock,
      acceptedExisting: [],
    });
    expect(old.reasons.map((r) => r.code)).to.deep.equal(["invalid_timestamps"]);
    const long = verifyManualWorkout(activity({ startTime: NOW - 50 * 3_600_000, durationSec: 49 * 3600 }), {
      clock,
      acceptedExisting: [],
    });
    expect(long.reasons.map((r) => r.code)).to.deep.equal(["invalid_timestamps"]);
    const fast = verifyManualWorkout(activity({ distanceM: 30_000, durationSec: 3600 }), {
      clock,
      acceptedExisting: [],
    });
    expect(fast.reasons.map((r) => r.code)).to.deep.equal(["implausible_speed"]);
    expect(fast.reasons[0]?.message).to.equal("Not plausible for run: an average of 30.0 km/h (limit 25.2).");
    const ride = verifyManualWorkout(activity({ sport: "ride", distanceM: 30_000, durationSec: 3600 }), {
      clock,
      acceptedExisting: [],
    });
    expect(ride.status).to.equal("accepted");
  });

  it("rejects a duplicate and an overlap with an accepted workout (beyond a minute of tolerance)", () => {
    const a = activity();
    const same = { contentHash: a.contentHash, startTime: 0, endTime: 1 };
    expect(
      verifyManualWorkout(a, { clock, acceptedExisting: [same] }).reasons.map((r) => r.code),
    ).to.deep.equal(["duplicate"]);
    const end = a.startTime + a.durationSec * 1000;
    const touching = {
      contentHash: `0x${"22".repeat(32)}` as const,
      startTime: end - 60_000,
      endTime: end + 3_600_000,
    };
    expect(verifyManualWorkout(a, { clock, acceptedExisting: [touching] }).status).to.equal("accepted");
    const overlapping = { ...touching, startTime: end - 61_000 };
    expect(
      verifyManualWorkout(a, { clock, acceptedExisting: [overlapping] }).reasons.map((r) => r.code),
    ).to.deep.equal(["overlaps_existing"]);
  });
});
