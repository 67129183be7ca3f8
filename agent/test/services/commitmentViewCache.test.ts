import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { createCommitmentViewCache } from "../../src/services/commitmentViewCache.ts";
import type { CommitmentView } from "../../src/services/describeCommitment.ts";

const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3_600_000;

/** A view of `owner`'s commitment `id` with one milestone: its window and claim deadline as given. */
function view(
  owner: string,
  id: bigint,
  { windowStart = NOW - HOUR, claimDeadline = NOW + 100 * HOUR, done = 0 } = {},
): CommitmentView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: id.toString(),
    owner: owner as `0x${string}`,
    token: "0x0000000000000000000000000000000000000000",
    amount: "1000",
    start: iso(windowStart),
    period: 604_800,
    grace: 86_400,
    beneficiary: BOB,
    rulesHash: `0x${"11".repeat(32)}`,
    rules: null,
    rulesKnown: false,
    closed: false,
    totals: { released: "0", slashed: "0", refunded: "0", locked: "1000" },
    exitAvailable: false,
    milestones: [
      {
        index: 0,
        windowStart: iso(windowStart),
        windowEnd: iso(windowStart + 7 * 24 * HOUR),
        claimDeadline: iso(claimDeadline),
        state: "Open",
        amount: "1000",
        progress: { done, required: 3, met: done >= 3, workouts: [] },
        claimable: false,
        appealable: false,
        appealBond: "100",
        appeal: null,
      },
    ],
  };
}

/** A computation that counts its runs and answers with the current `done`. */
function counter(owner: string, id: bigint, options: Parameters<typeof view>[2] = {}) {
  const state = { runs: 0, done: 0 };
  return {
    state,
    compute: async () => {
      state.runs += 1;
      return view(owner, id, { ...options, done: state.done });
    },
  };
}

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup({
  ttlMs = 2_000,
  maxEntries,
  maxStamps,
}: {
  ttlMs?: number;
  maxEntries?: number;
  maxStamps?: number;
} = {}) {
  const clock = new ManualClock(NOW);
  let monotonic = 0;
  const cache = createCommitmentViewCache({
    clock,
    ttlMs,
    monotonicNow: () => monotonic,
    ...(maxEntries === undefined ? {} : { maxEntries }),
    ...(maxStamps === undefined ? {} : { maxStamps }),
  });
  return {
    clock,
    cache,
    elapse: (ms: number) => {
      monotonic += ms;
    },
  };
}

const doneOf = (body: Buffer) =>
  (JSON.parse(body.toString("utf8")) as CommitmentView).milestones[0]?.progress?.done;

describe("commitment view cache", () => {
  it("answers repeated reads from memory with the serialized view and its owner, until ttlMs has passed", async () => {
    const { cache, elapse } = setup();
    const alice = counter(ALICE, 1n);
    const first = await cache.get(1n, alice.compute);
    expect(first.owner).to.equal(ALICE.toLowerCase());
    expect(JSON.parse(first.body.toString("utf8"))).to.deep.equal(view(ALICE, 1n));
    elapse(1_999);
    await cache.get(1n, alice.compute);
    expect(alice.state.runs).to.equal(1);
    elapse(1);
    await cache.get(1n, alice.compute);
    expect(alice.state.runs).to.equal(2);
  });

  it("forgets an owner's views when their workouts or commitments change, and keeps other owners' views", async () => {
    const { cache } = setup();
    const alice = counter(ALICE, 1n);
    const bob = counter(BOB, 2n);
    await cache.get(1n, alice.compute);
    await cache.get(2n, bob.compute);
    alice.state.done = 1;
    cache.invalidate({ kind: "workouts", owner: ALICE.toUpperCase().replace("0X", "0x") });
    expect(doneOf((await cache.get(1n, alice.compute)).body)).to.equal(1);
    await cache.get(2n, bob.compute);
    expect([alice.state.runs, bob.state.runs]).to.deep.equal([2, 1]);

    cache.invalidate({ kind: "commitment", commitmentId: "9", owner: BOB });
    await cache.get(1n, alice.compute);
    await cache.get(2n, bob.compute);
    expect([alice.state.runs, bob.state.runs]).to.deep.equal([2, 2]);
  });

  it("forgets a commitment's own view when it changes hands (a reorg) or is deleted", async () => {
    const { cache } = setup();
    const alice = counter(ALICE, 1n);
    const bob = counter(BOB, 1n);
    expect((await cache.get(1n, alice.compute)).owner).to.equal(ALICE.toLowerCase());
    cache.invalidate({ kind: "commitment", commitmentId: "1", owner: BOB }); // re-created by Bob
    expect((await cache.get(1n, bob.compute)).owner).to.equal(BOB.toLowerCase());
    cache.invalidate({ kind: "commitment", commitmentId: "1", owner: null }); // deleted
    expect(cache.peek(1n)).to.equal(undefined);
  });

  it("forgets on a stored rules document only the views that showed their rules as unknown", async () => {
    const { cache } = setup();
    let aliceRuns = 0;
    const unknownRules = async () => {
      aliceRuns += 1;
      return view(ALICE, 1n); // rulesKnown: false
    };
    const bob = counter(BOB, 2n);
    const knownRules = async () => ({ ...(await bob.compute()), rulesKnown: true });
    await cache.get(1n, unknownRules);
    await cache.get(2n, knownRules);
    cache.invalidate({ kind: "rulesDocument", rulesHash: `0x${"22".repeat(32)}` });
    expect(cache.peek(1n)).to.equal(undefined);
    expect(cache.peek(2n)?.owner).to.equal(BOB.toLowerCase());
    await cache.get(1n, unknownRules);
    await cache.get(2n, knownRules);
    expect([aliceRuns, bob.state.runs]).to.deep.equal([2, 1]);
  });

  it("does not remember a view computed while an invalidation landed, nor share it with later readers", async () => {
    const { cache } = setup();
    const gate = deferred<void>();
    let runs = 0;
    const slow = async () => {
      runs += 1;
      const done = runs; // what the store held when this computation read it
      await gate.promise;
      return view(ALICE, 1n, { done });
    };
    const first = cache.get(1n, slow);
    cache.invalidate({ kind: "workouts", owner: ALICE }); // committed while `first` was reading
    const second = cache.get(1n, slow); // asked after the commit: must not join `first`
    gate.resolve();
    expect(doneOf((await first).body)).to.equal(1);
    expect(doneOf((await second).body)).to.equal(2);
    expect(runs).to.equal(2);
    expect(doneOf((await cache.get(1n, slow)).body), "the second one was remembered").to.equal(2);
    expect(runs).to.equal(2);
  });

  it("shares one computation between concurrent readers, and its failure too, remembering nothing", async () => {
    const { cache } = setup();
    const gate = deferred<CommitmentView>();
    let runs = 0;
    const compute = async () => {
      runs += 1;
      return gate.promise;
    };
    const readers = [cache.get(1n, compute), cache.get(1n, compute), cache.get(1n, compute)];
    const failure = new Error("rpc down");
    gate.reject(failure);
    for (const reader of readers) {
      const outcome = await reader.then(
        () => "resolved",
        (error: unknown) => error,
      );
      expect(outcome).to.equal(failure);
    }
    expect(runs).to.equal(1);
    expect(cache.size).to.equal(0);
    const alice = counter(ALICE, 1n);
    await cache.get(1n, alice.compute);
    expect(alice.state.runs).to.equal(1);
  });

  it("ends a view at a deadline that passed while it was being built", async () => {
    const { cache, clock } = setup({ ttlMs: 60_000 });
    const deadline = NOW + 1_000;
    let runs = 0;
    const slow = async () => {
      runs += 1;
      const built = view(ALICE, 1n, { claimDeadline: deadline }); // built (and read the clock) before the deadline
      clock.advance(2_000); // the chain reads took long
      return built;
    };
    await cache.get(1n, slow);
    expect(cache.peek(1n)).to.equal(undefined);
    await cache.get(1n, slow);
    expect(runs).to.equal(2);
  });

  it("recomputes when the clock reaches a window start or a claim deadline, whatever ttlMs says", async () => {
    const { cache, clock } = setup({ ttlMs: 60_000 });
    const opening = counter(ALICE, 1n, { windowStart: NOW + 10_000, claimDeadline: NOW + 100 * HOUR });
    await cache.get(1n, opening.compute);
    clock.advance(9_999);
    await cache.get(1n, opening.compute);
    expect(opening.state.runs).to.equal(1);
    clock.advance(1); // the window opens: the view may become claimable
    await cache.get(1n, opening.compute);
    expect(opening.state.runs).to.equal(2);

    const closing = counter(ALICE, 2n, { windowStart: NOW - HOUR, claimDeadline: clock.now() + 5_000 });
    await cache.get(2n, closing.compute);
    clock.advance(5_000); // the deadline passes: no longer claimable
    await cache.get(2n, closing.compute);
    expect(closing.state.runs).to.equal(2);
  });

  it("keeps at most maxEntries views, dropping the least recently used", async () => {
    const { cache } = setup({ maxEntries: 2 });
    const views = [1n, 2n, 3n].map((id) => counter(ALICE, id));
    const [one, two, three] = views as [
      ReturnType<typeof counter>,
      ReturnType<typeof counter>,
      ReturnType<typeof counter>,
    ];
    await cache.get(1n, one.compute);
    await cache.get(2n, two.compute);
    await cache.get(1n, one.compute); // 1 used after 2
    await cache.get(3n, three.compute); // drops 2
    expect(cache.size).to.equal(2);
    await cache.get(1n, one.compute);
    await cache.get(2n, two.compute);
    expect([one.state.runs, two.state.runs, three.state.runs]).to.deep.equal([1, 2, 1]);
  });

  it("folds invalidation stamps into one when maxStamps is reached, forgetting every older view", async () => {
    const { cache } = setup({ maxStamps: 2 });
    const alice = counter(ALICE, 1n);
    await cache.get(1n, alice.compute);
    cache.invalidate({ kind: "workouts", owner: "0x0000000000000000000000000000000000000001" });
    cache.invalidate({ kind: "workouts", owner: "0x0000000000000000000000000000000000000002" });
    await cache.get(1n, alice.compute);
    expect(alice.state.runs, "other owners' changes leave Alice's view alone").to.equal(1);
    cache.invalidate({ kind: "workouts", owner: "0x0000000000000000000000000000000000000003" });
    await cache.get(1n, alice.compute);
    expect(alice.state.runs, "the fold forgets every view older than it").to.equal(2);
    await cache.get(1n, alice.compute);
    expect(alice.state.runs).to.equal(2);
  });

  it("refuses a ttl or sizes that are not positive", () => {
    const clock = new ManualClock(NOW);
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createCommitmentViewCache({ clock, ttlMs })).to.throw(RangeError, /ttlMs/);
    }
    expect(() => createCommitmentViewCache({ clock, ttlMs: 1, maxEntries: 0 })).to.throw(
      RangeError,
      /maxEntries/,
    );
    expect(() => createCommitmentViewCache({ clock, ttlMs: 1, maxStamps: 1.5 })).to.throw(
      RangeError,
      /maxStamps/,
    );
  });
});
