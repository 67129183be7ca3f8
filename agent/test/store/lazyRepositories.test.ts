import { strict as assert } from "node:assert";
import { ManualClock } from "../../src/clock.ts";
import { lazyRepositories, type RepositoryFactories } from "../../src/store/lazyRepositories.ts";
import { openStore } from "../../src/store/openStore.ts";
import type { Repositories } from "../../src/store/repositories.ts";
import type { StoreChange } from "../../src/store/storeChanges.ts";

describe("lazy repositories (lazyRepositories.ts)", () => {
  it("makes each repository when it is first read, once, and lists every repository", () => {
    const made: string[] = [];
    const names = ["workouts", "auditLog", "commitments"] as const;
    const factories = Object.fromEntries(
      names.map((name) => [
        name,
        () => {
          made.push(name);
          return { name } as unknown;
        },
      ]),
    ) as unknown as RepositoryFactories;
    const repositories: Repositories = lazyRepositories(factories);
    assert.deepEqual(made, []);
    const first = repositories.auditLog;
    assert.equal(repositories.auditLog, first);
    assert.deepEqual(made, ["auditLog"]);
    assert.deepEqual(Object.keys(repositories), [...names]);
    assert.deepEqual({ ...repositories }.workouts, { name: "workouts" });
    assert.deepEqual(made, ["auditLog", "workouts", "commitments"]);
  });

  it("a transaction's workout writes still report their change after the commit, and none on a rollback", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 7));
    const store = await openStore({ dataDir: "memory://", clock });
    const changes: StoreChange[] = [];
    store.changes.subscribe((change) => changes.push(change));
    const owner = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const workout = (hash: string) => ({
      owner,
      source: "manual" as const,
      contentHash: `0x${hash.repeat(64)}`,
      sport: "run" as const,
      startTime: new Date(clock.now() - 3_600_000),
      endTime: new Date(clock.now() - 1_800_000),
      durationSec: 1800,
      elapsedSec: 1800,
      distanceM: null,
      avgHeartRate: null,
      verdict: { status: "accepted" as const, reasons: [] },
      provider: null,
      providerActivityId: null,
      notes: null,
      sportOrigin: "named" as const,
      sportDetail: null,
    });
    try {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.workouts.insertMany([workout("a")]);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.equal(changes.length, 0);
      await store.transaction(async (tx) => {
        await tx.workouts.insertMany([workout("b")]);
        assert.equal(changes.length, 0);
      });
      assert.equal(changes.length, 1);
      assert.equal(changes[0]?.kind, "workouts");
    } finally {
      await store.close();
    }
  });
});
