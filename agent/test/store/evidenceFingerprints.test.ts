/**
 * Track fingerprints in the store (evidenceRepository.ts) on every driver: a fingerprint's segment hashes are
 * inserted in several statements when there are more than `SEGMENT_HASHES_PER_STATEMENT`, each with array
 * parameters, and `findCandidates` finds the accepted workout by any of them, counting distinct hashes (large
 * values near 2^53 included), and never a rejected one.
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { ManualClock } from "../../src/clock.ts";
import { SEGMENT_HASHES_MAX, SEGMENT_HASHES_PER_STATEMENT } from "../../src/store/evidenceRepository.ts";
import type { Store } from "../../src/store/store.ts";
import { type OpenedTestStore, openOrSkip, queryRows, storeDrivers } from "./storeDrivers.ts";

const OWNER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

for (const driver of storeDrivers) {
  describe(`store: track fingerprints (${driver.name})`, () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 7));
    let opened: OpenedTestStore | undefined;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, `track fingerprints (${driver.name})`);
      store = opened.store;
    });
    after(async () => opened?.cleanup());

    async function workout(hash: string, status: "accepted" | "rejected"): Promise<string> {
      const [record] = await store.workouts.insertMany([
        {
          owner: OWNER,
          source: "gpx",
          contentHash: `0x${hash.repeat(64)}`,
          sport: "run",
          startTime: new Date(clock.now() - 3_600_000),
          endTime: new Date(clock.now() - 1_800_000),
          durationSec: 1800,
          elapsedSec: 1800,
          distanceM: 5000,
          avgHeartRate: null,
          verdict:
            status === "accepted"
              ? { status, reasons: [] }
              : { status, reasons: [{ code: "too_short", message: "short" }] },
          provider: null,
          providerActivityId: null,
          notes: null,
          sportOrigin: "named",
          sportDetail: null,
        },
      ]);
      if (record === undefined) throw new Error("no workout stored");
      return record.id;
    }

    it("stores every hash of a fingerprint larger than one statement's chunk and finds the workout by them", async () => {
      const accepted = await workout("a", "accepted");
      const rejected = await workout("b", "rejected");
      const count = SEGMENT_HASHES_PER_STATEMENT * 2 + 123;
      expect(count).to.be.at.most(SEGMENT_HASHES_MAX);
      // Hashes up to 2^53 - 1 (what the fingerprint makes), and repeated values at different positions.
      const hashes = Array.from({ length: count }, (_, i) => ({
        hash: i % 10 === 0 ? Number.MAX_SAFE_INTEGER - i : 1_000_000 + (i % 3_000),
        position: i,
      }));
      const fingerprint = { vertexCount: 3, vertices: "AAAA" };
      await store.evidence.putFingerprint({ workoutId: accepted, ...fingerprint }, hashes);
      await store.evidence.putFingerprint({ workoutId: rejected, ...fingerprint }, hashes);
      const rows = await queryRows<{ n: number; top: string; positions: number }>(
        (opened as OpenedTestStore).database,
        sql`select count(*)::int as n, max(hash)::text as top, count(distinct position)::int as positions
           from track_segment_hashes where workout_id = ${accepted}::uuid`,
      );
      expect(rows[0]).to.deep.equal({ n: count, top: String(Number.MAX_SAFE_INTEGER), positions: count });

      // Stored again (a review re-stores it): replaced, not doubled.
      await store.evidence.putFingerprint({ workoutId: accepted, ...fingerprint }, hashes.slice(0, 10));
      const again = await queryRows<{ n: number }>(
        (opened as OpenedTestStore).database,
        sql`select count(*)::int as n from track_segment_hashes where workout_id = ${accepted}::uuid`,
      );
      expect(again[0]?.n).to.equal(10);
      await store.evidence.putFingerprint({ workoutId: accepted, ...fingerprint }, hashes);

      const distinct = new Set(hashes.map((h) => h.hash)).size;
      const found = await store.evidence.findCandidates({
        hashes: hashes.map((h) => h.hash),
        minHits: 3,
      });
      expect(found).to.deep.equal([{ workoutId: accepted, hits: distinct }]);
      const some = await store.evidence.findCandidates({
        hashes: [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 10, 1_000_005, 42],
        minHits: 3,
      });
      expect(some).to.deep.equal([{ workoutId: accepted, hits: 3 }]);
      expect(await store.evidence.findCandidates({ hashes: [1_000_005, 42], minHits: 3 })).to.deep.equal([]);
      expect(
        await store.evidence.findCandidates({
          hashes: [1_000_005, 1_000_006, 1_000_007],
          minHits: 3,
          excludeWorkoutIds: [accepted],
        }),
      ).to.deep.equal([]);
    });
  });
}
