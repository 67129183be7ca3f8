/**
 * Evidence that cannot be reused, through the ingestion service over a real store on every driver: the same content
 * uploaded by another person is a `duplicate` that never says whose it was; one provider activity counts once
 * whoever links it; two people uploading the same file at the same moment get exactly one acceptance (the claims
 * table's primary key, not a check-then-insert).
 */
import { expect } from "chai";
import type { Address } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import { type IngestContext, ingestActivities } from "../../src/services/ingestActivities.ts";
import type { Store } from "../../src/store/store.ts";
import { parseWorkoutFile } from "../../src/workouts/index.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import { buildCorpus } from "../integrity/corpus.ts";
import { oneHourRunFit } from "../workouts/fixtures.ts";

const MONDAY = Date.UTC(2026, 10, 23);
const NOW = Date.UTC(2026, 10, 26, 12);
const HOUR = 3_600_000;

let ownerCounter = 0;
function newOwner(): Address {
  ownerCounter += 1;
  return `0x${(0xd0b1e000 + ownerCounter).toString(16).padStart(40, "0")}` as Address;
}

for (const driver of storeDrivers) {
  describe(`evidence reuse across people on ${driver.name}`, function () {
    this.timeout(60_000);
    let opened: OpenedTestStore;
    let store: Store;
    const clock = new ManualClock(NOW);

    before(async function () {
      opened = await openOrSkip(this, driver, clock, this.test?.parent?.title ?? driver.name);
      store = opened.store;
    });
    after(async () => {
      await opened?.cleanup();
    });

    const context = (): IngestContext => ({
      store,
      clock,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: "silent" }),
      chain: undefined,
    });

    it("rejects the same file from a second and a third wallet as a duplicate that names nobody", async () => {
      const bytes = oneHourRunFit(MONDAY + 30 * HOUR);
      const [alice, bob, carol] = [newOwner(), newOwner(), newOwner()];
      const first = await ingestActivities(context(), {
        owner: alice,
        source: "fit",
        activities: parseWorkoutFile(bytes),
      });
      expect(first.workouts[0]?.verdict.status).to.equal("accepted");
      for (const other of [bob, carol]) {
        const again = await ingestActivities(context(), {
          owner: other,
          source: "fit",
          activities: parseWorkoutFile(bytes),
        });
        const view = again.workouts[0];
        expect(view?.verdict.status).to.equal("rejected");
        expect(view?.verdict.reasons.map((r) => r.code)).to.deep.equal(["duplicate"]);
        const answer = JSON.stringify(again.workouts);
        expect(answer).not.to.include(alice.toLowerCase().slice(2));
        expect(answer).not.to.include(first.workouts[0]?.id ?? "never");
        // Stored for the second person as a rejected workout (their history, reviewable).
        expect(again.stored).to.equal(1);
        const page = await store.workouts.listByOwner(other);
        expect(page.items.map((w) => w.verdict.status)).to.deep.equal(["rejected"]);
      }
    });

    it("accepts exactly one of two people uploading the same file at the same moment", async () => {
      const bytes = oneHourRunFit(MONDAY + 50 * HOUR);
      const owners = [newOwner(), newOwner(), newOwner()];
      const results = await Promise.all(
        owners.map((owner) =>
          ingestActivities(context(), { owner, source: "fit", activities: parseWorkoutFile(bytes) }),
        ),
      );
      const statuses = results.map((r) => r.workouts[0]?.verdict.status).sort();
      expect(statuses).to.deep.equal(["accepted", "rejected", "rejected"]);
      for (const result of results) {
        const view = result.workouts[0];
        if (view?.verdict.status === "rejected") {
          expect(view.verdict.reasons.map((r) => r.code)).to.include("duplicate");
        }
      }
    });

    it("counts one provider activity once, whoever links it, even when its content changed", async () => {
      const [alice, bob] = [newOwner(), newOwner()];
      const activity = (hashByte: string) =>
        parseWorkoutFile(oneHourRunFit(MONDAY + 70 * HOUR)).map((a) => ({
          ...a,
          contentHash: `0x${hashByte.repeat(64)}` as const,
        }));
      const first = await ingestActivities(context(), {
        owner: alice,
        source: "provider",
        provider: "strava",
        providerActivityId: "987654321",
        activities: activity("a"),
      });
      expect(first.workouts[0]?.verdict.status).to.equal("accepted");
      // The same Strava activity (an update changed its moving time, so its content hash) linked by another wallet.
      const second = await ingestActivities(context(), {
        owner: bob,
        source: "provider",
        provider: "strava",
        providerActivityId: "987654321",
        activities: activity("b"),
      });
      expect(second.workouts[0]?.verdict.reasons.map((r) => r.code)).to.deep.equal(["duplicate"]);
      expect(JSON.stringify(second.workouts)).not.to.include(alice.toLowerCase().slice(2));
    });

    it("counts a provider's typed-in activity once too, whoever links it", async () => {
      const manual = {
        sport: "run" as const,
        startTime: MONDAY + 90 * HOUR,
        durationSec: 1800,
        contentHash: `0x${"c".repeat(64)}` as const,
      };
      const common = { source: "manual" as const, provider: "strava", providerActivityId: "555" };
      const first = await ingestActivities(context(), { ...common, owner: newOwner(), activities: [manual] });
      expect(first.workouts[0]?.verdict.reasons.map((r) => r.code)).not.to.include("duplicate");
      const again = await ingestActivities(context(), {
        ...common,
        owner: newOwner(),
        activities: [{ ...manual, contentHash: `0x${"d".repeat(64)}` as const }],
      });
      expect(again.workouts[0]?.verdict.reasons.map((r) => r.code)).to.include("duplicate");
    });

    it("rejects another person's replay of a stored track, and accepts a genuine run of the same route", async () => {
      const corpus = buildCorpus({ routes: 1, seed: 5 });
      const [original, sameRoute] = corpus.genuine;
      const replay = corpus.forgeries.find((f) => f.kind === "time_scaled");
      if (original === undefined || sameRoute === undefined || replay === undefined)
        throw new Error("corpus");
      clock.set(corpus.end + 3_600_000);
      const upload = async (bytes: Uint8Array) => {
        const activities = parseWorkoutFile(bytes);
        const result = await ingestActivities(context(), {
          owner: newOwner(),
          source: activities[0]?.format ?? "fit",
          activities,
        });
        return result.workouts[0]?.verdict;
      };
      expect((await upload(original.bytes))?.status).to.equal("accepted");
      const replayed = await upload(replay.bytes);
      expect(replayed?.reasons.map((r) => r.code)).to.deep.equal(["replayed_track"]);
      expect(replayed?.reasons[0]?.message).to.match(
        /reproduces an earlier accepted track \(\d+ % of its length\)/,
      );
      expect((await upload(sameRoute.bytes))?.status).to.equal("accepted");
      clock.set(NOW);
    });
  });
}
