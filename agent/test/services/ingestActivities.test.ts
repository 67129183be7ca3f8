/**
 * The ingestion service over a real store, on every driver (PGlite in memory, PostgreSQL in a fresh schema):
 * verdicts stored, duplicates answered and not stored, overlaps within a batch and against stored workouts,
 * countsFor, audit log and metrics, and the owner lock under concurrent uploads.
 */
import { expect } from "chai";
import type { Address } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import { canonicalizeRules } from "../../src/rules/rulesDocument.ts";
import { type IngestContext, ingestActivities } from "../../src/services/ingestActivities.ts";
import { manualActivityOf, manualWorkoutLogSchema } from "../../src/services/manualWorkoutLog.ts";
import type { Store } from "../../src/store/store.ts";
import { parseWorkoutFile } from "../../src/workouts/index.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import { encodeFit, oneHourRunFit, strengthFit, track } from "../workouts/fixtures.ts";

const MONDAY = Date.UTC(2026, 10, 23);
const NOW = Date.UTC(2026, 10, 26, 12);
const HOUR = 3_600_000;
const CHAIN = { chainId: 31337, vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };

let ownerCounter = 0;
function newOwner(): Address {
  ownerCounter += 1;
  return `0x${(0xa11ce000 + ownerCounter).toString(16).padStart(40, "0")}` as Address;
}

function run(startMs: number) {
  return parseWorkoutFile(oneHourRunFit(startMs));
}

async function counterValues(metrics: Metrics): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const v of (await metrics.workoutsVerified.get()).values) {
    values[`${v.labels.status}/${v.labels.reason}`] = v.value;
  }
  return values;
}

for (const driver of storeDrivers) {
  describe(`ingestActivities on ${driver.name}`, function () {
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

    function context(overrides: Partial<IngestContext> = {}): IngestContext {
      return {
        store,
        clock,
        metrics: createMetrics({ defaultMetrics: false }),
        logger: createLogger({ level: "silent" }),
        chain: CHAIN,
        ...overrides,
      };
    }

    it("stores accepted and rejected workouts with their verdicts, audits and counts them", async () => {
      const owner = newOwner();
      const ctx = context();
      const accepted = run(MONDAY + 8 * HOUR);
      const future = run(NOW + 24 * HOUR);
      const result = await ingestActivities(ctx, {
        owner,
        source: "fit",
        activities: [...accepted, ...future],
      });
      expect(result.stored).to.equal(2);
      expect(result.duplicates).to.equal(0);
      const [a, f] = result.workouts;
      expect(a?.verdict.status).to.equal("accepted");
      expect(f?.verdict.status).to.equal("rejected");
      expect(f?.verdict.reasons.map((r) => r.code)).to.deep.equal(["future_timestamp"]);

      const page = await store.workouts.listByOwner(owner);
      expect(page.items.map((w) => [w.id, w.verdict.status]).sort()).to.deep.equal(
        [
          [a?.id, "accepted"],
          [f?.id, "rejected"],
        ].sort(),
      );
      const stored = page.items.find((w) => w.id === a?.id);
      expect(stored?.source).to.equal("fit");
      expect(stored?.contentHash).to.equal(accepted[0]?.contentHash);
      expect(stored?.startTime.toISOString()).to.equal("2026-11-23T08:00:00.000Z");
      expect(stored?.endTime.toISOString()).to.equal("2026-11-23T09:00:00.000Z");

      const audit = (await store.auditLog.list({ limit: 500 })).filter((e) => e.actor === owner);
      expect(audit.map((e) => e.action).sort()).to.deep.equal([
        "workout.upload",
        "workout.verdict",
        "workout.verdict",
      ]);
      const upload = audit.find((e) => e.action === "workout.upload");
      expect(upload?.details).to.deep.equal({ source: "fit", activities: 2, stored: 2, duplicates: 0 });
      const verdict = audit.find((e) => e.subject === `workout:${f?.id}`);
      expect(verdict?.details).to.deep.equal({
        contentHash: future[0]?.contentHash,
        status: "rejected",
        reasons: ["future_timestamp"],
      });
      expect(await counterValues(ctx.metrics)).to.deep.equal({
        "accepted/none": 1,
        "rejected/future_timestamp": 1,
      });
    });

    it("answers a duplicate with the stored workout's id and stores nothing new (accepted or rejected original)", async () => {
      const owner = newOwner();
      const ctx = context();
      const good = run(MONDAY + 10 * HOUR);
      const bad = run(NOW + 48 * HOUR);
      const first = await ingestActivities(ctx, { owner, source: "fit", activities: [...good, ...bad] });
      const again = await ingestActivities(ctx, { owner, source: "fit", activities: [...good, ...bad] });
      expect(again.stored).to.equal(0);
      expect(again.duplicates).to.equal(2);
      expect(again.workouts.map((w) => w.id)).to.deep.equal(first.workouts.map((w) => w.id));
      for (const w of again.workouts) {
        expect(w.verdict.status).to.equal("rejected");
        expect(w.verdict.reasons.map((r) => r.code)).to.deep.equal(["duplicate"]);
        expect(w.verdict.countsFor).to.deep.equal([]);
      }
      expect((await store.workouts.listByOwner(owner)).items).to.have.length(2);
      expect(await counterValues(ctx.metrics)).to.deep.equal({
        "accepted/none": 1,
        "rejected/future_timestamp": 1,
        "rejected/duplicate": 2,
      });
    });

    it("rejects an activity overlapping an earlier one of the same batch or a stored one; a repeat in the batch is a duplicate", async () => {
      const owner = newOwner();
      const ctx = context();
      const [first] = run(MONDAY + 20 * HOUR);
      const [overlapping] = parseWorkoutFile(strengthFit(MONDAY + 20 * HOUR + 30 * 60_000));
      if (first === undefined || overlapping === undefined) throw new Error("fixtures");
      const result = await ingestActivities(ctx, {
        owner,
        source: "fit",
        activities: [first, overlapping, first],
      });
      expect(result.workouts.map((w) => w.verdict.status)).to.deep.equal([
        "accepted",
        "rejected",
        "rejected",
      ]);
      expect(result.workouts[1]?.verdict.reasons.map((r) => r.code)).to.deep.equal(["overlaps_existing"]);
      expect(result.workouts[2]?.id).to.equal(result.workouts[0]?.id);
      expect(result.workouts[2]?.verdict.reasons.map((r) => r.code)).to.deep.equal(["duplicate"]);
      expect(result.stored).to.equal(2);

      const [later] = parseWorkoutFile(strengthFit(MONDAY + 20 * HOUR + 45 * 60_000));
      if (later === undefined) throw new Error("fixtures");
      const next = await ingestActivities(ctx, { owner, source: "fit", activities: [later] });
      expect(next.workouts[0]?.verdict.reasons.map((r) => r.code)).to.deep.equal(["overlaps_existing"]);
    });

    it("says where an accepted workout counts, and why not elsewhere; nothing without a vault", async () => {
      const owner = newOwner();
      const { rulesHash, canonical } = canonicalizeRules({
        version: 1,
        timezone: "Europe/Berlin",
        perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run"] },
        evidence: "device",
      });
      await store.rulesDocuments.put(rulesHash, canonical);
      const base = {
        chainId: CHAIN.chainId,
        vault: CHAIN.vault,
        owner,
        token: "0x0000000000000000000000000000000000000000",
        amount: 100n,
        period: 7 * 86_400,
        milestones: 2,
        grace: 86_400,
        beneficiary: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        rulesHash,
        closed: false,
        milestoneStates: ["Open", "Open"] as ("Open" | "Released")[],
        updatedBlock: 5,
      };
      await store.commitments.upsert({ ...base, commitmentId: 11n, start: MONDAY / 1000 });
      await store.commitments.upsert({ ...base, commitmentId: 12n, start: MONDAY / 1000 + 7 * 86_400 });
      await store.commitments.upsert({
        ...base,
        commitmentId: 13n,
        start: MONDAY / 1000,
        milestoneStates: ["Released", "Open"],
      });
      await store.commitments.upsert({
        ...base,
        commitmentId: 14n,
        start: MONDAY / 1000,
        rulesHash: `0x${"99".repeat(32)}`,
      });

      const result = await ingestActivities(context(), {
        owner,
        source: "fit",
        activities: run(MONDAY + 30 * HOUR),
      });
      expect(result.workouts[0]?.verdict.countsFor).to.deep.equal([
        { commitmentId: "11", milestoneIndex: 0 },
      ]);
      expect(
        result.workouts[0]?.verdict.notCounted.map((n) => [
          n.commitmentId,
          n.milestoneIndex,
          n.reasons.map((r) => r.code),
        ]),
      ).to.deep.equal([
        ["12", undefined, ["outside_window"]],
        ["13", 0, ["milestone_settled"]],
      ]);

      const none = await ingestActivities(context({ chain: undefined }), {
        owner,
        source: "fit",
        activities: run(MONDAY + 40 * HOUR),
      });
      expect(none.workouts[0]?.verdict).to.deep.equal({
        status: "accepted",
        reasons: [],
        countsFor: [],
        notCounted: [],
        sport: { origin: "named", declarable: false },
      });
    });

    it("a manual log without a provider id claims no evidence (the transaction's evidence repository is not even read); a file's activity does", async () => {
      const read: string[] = [];
      // Watched on this thread: the transaction runs here even when PGlite has a thread of its own.
      const { transactionOnDatabaseThread: _onItsThread, ...onThisThread } = store;
      const watched: Store = {
        ...onThisThread,
        transaction: (work) =>
          store.transaction((tx) =>
            work(
              new Proxy(tx, {
                get: (target, key, receiver) => {
                  read.push(String(key));
                  return Reflect.get(target, key, receiver);
                },
              }),
            ),
          ),
      };
      const log = manualActivityOf(
        manualWorkoutLogSchema.parse({ sport: "run", startTime: "2026-11-24T07:00:00Z", durationMin: 30 }),
      );
      const manual = await ingestActivities(context({ store: watched }), {
        owner: newOwner(),
        source: "manual",
        activities: [log],
      });
      expect(manual.workouts[0]?.verdict.status).to.equal("accepted");
      expect(read).to.not.include("evidence");
      await ingestActivities(context({ store: watched }), {
        owner: newOwner(),
        source: "fit",
        activities: run(MONDAY + 10 * HOUR),
      });
      expect(read).to.include("evidence");
    });

    it("verifies manual logs without samples and stores their notes and provider ids", async () => {
      const owner = newOwner();
      const log = manualActivityOf(
        manualWorkoutLogSchema.parse({
          sport: "strength",
          startTime: "2026-11-24T18:00:00+01:00",
          durationMin: 40,
          notes: "legs",
        }),
      );
      const result = await ingestActivities(context(), {
        owner,
        source: "manual",
        activities: [log],
        provider: "strava",
        providerActivityId: "123",
      });
      expect(result.workouts[0]).to.include({
        source: "manual",
        sport: "strength",
        startTime: "2026-11-24T17:00:00Z",
        notes: "legs",
      });
      expect(result.workouts[0]?.verdict.status).to.equal("accepted");
      const [stored] = (await store.workouts.listByOwner(owner)).items;
      expect(stored).to.include({
        provider: "strava",
        providerActivityId: "123",
        notes: "legs",
        durationSec: 2400,
        elapsedSec: 2400,
      });
      expect(stored?.distanceM).to.equal(null);
    });

    it("stores a rejected activity with absurd times within what the database can hold", async () => {
      const owner = newOwner();
      const [activity] = run(MONDAY);
      if (activity === undefined) throw new Error("fixtures");
      const absurd = {
        ...activity,
        startTime: 9e15,
        elapsedSec: 1e12,
        durationSec: 1e12,
        contentHash: `0x${"ee".repeat(32)}` as const,
      };
      const result = await ingestActivities(context(), { owner, source: "gpx", activities: [absurd] });
      expect(result.workouts[0]?.verdict.status).to.equal("rejected");
      expect(result.workouts[0]?.startTime).to.equal("9999-12-31T23:59:59Z");
      expect(result.workouts[0]?.elapsedSec).to.equal(2_147_483_647);
    });

    it("accepts only one of two overlapping workouts uploaded at the same time (the owner lock)", async () => {
      const owner = newOwner();
      const ctx = context();
      const records = track({
        start: MONDAY + 50 * HOUR + 60_000,
        seconds: 3000,
        speedMps: 3,
        withDistance: true,
        heartRate: 140,
      });
      const other = parseWorkoutFile(
        encodeFit({
          timeCreated: MONDAY + 50 * HOUR,
          records,
          sessions: [
            { sport: "running", start: MONDAY + 50 * HOUR + 60_000, timerSec: 3000, elapsedSec: 3000 },
          ],
        }),
      );
      const results = await Promise.all([
        ingestActivities(ctx, { owner, source: "fit", activities: run(MONDAY + 50 * HOUR) }),
        ingestActivities(ctx, { owner, source: "fit", activities: other }),
      ]);
      const statuses = results.map((r) => r.workouts[0]?.verdict.status).sort();
      expect(statuses).to.deep.equal(["accepted", "rejected"]);
      const accepted = await store.workouts.acceptedOverlapping(
        owner,
        new Date(MONDAY + 49 * HOUR),
        new Date(MONDAY + 52 * HOUR),
      );
      expect(accepted).to.have.length(1);
    });
  });
}
