/**
 * `GET /api/commitments` and `GET /api/commitments/:id` over a real store (PGlite) seeded the way the indexer
 * fills it: exact bodies, progress from uploaded workouts, rules unknown, settled milestones, read-through and
 * pause-aware deadlines with an in-memory VaultReader, and the 400/401/403/404/503 answers.
 */
import { expect } from "chai";
import request from "supertest";
import { READ_THROUGH_BLOCK } from "../../src/services/findOwnedCommitment.ts";
import type { MilestoneState } from "../../src/store/schema.ts";
import { oneHourRunFit, strengthFit } from "../workouts/fixtures.ts";
import {
  BENEFICIARY,
  cookieFor,
  DAY,
  MemoryVaultReader,
  MONDAY,
  newAccount,
  onChainCommitment,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  RULES,
  seedCommitment,
  TOKEN,
} from "./routesHarness.ts";
import { JSON_TYPE, PROBLEM_JSON } from "./testApp.ts";

const HOUR_MS = 3_600_000;
const MONDAY_MS = MONDAY * 1000;

/** Uploads a FIT file for the cookie's owner; fails the test unless it is stored. Answers the workout's id. */
async function uploadFit(harness: RoutesHarness, cookie: string, bytes: Uint8Array): Promise<string> {
  const res = await request(harness.app)
    .post("/api/workouts/upload")
    .set("Cookie", cookie)
    .attach("file", Buffer.from(bytes), "w.fit");
  expect(res.status).to.equal(201);
  return res.body.workouts[0].id as string;
}

describe("GET /api/commitments", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  const reader = new MemoryVaultReader();
  const alice = newAccount();
  const bob = newAccount();
  let aliceCookie: string;
  let bobCookie: string;
  let rulesHash: `0x${string}`;
  const workoutIds: string[] = [];

  before(async () => {
    harness = await openRoutesHarness({ reader });
    aliceCookie = await cookieFor(harness, alice);
    bobCookie = await cookieFor(harness, bob);
    rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, {
      owner: alice.address,
      commitmentId: 1n,
      rulesHash,
      milestones: 2,
      amount: 1001n,
      grace: DAY,
    });
    await seedCommitment(harness.store, {
      owner: alice.address,
      commitmentId: 2n,
      rulesHash: `0x${"77".repeat(32)}`,
      milestones: 1,
      amount: 5n,
    });
    await seedCommitment(harness.store, {
      owner: alice.address,
      commitmentId: 3n,
      rulesHash,
      milestones: 3,
      amount: 30n,
      start: MONDAY - 21 * DAY,
      states: ["Released", "Slashed", "Open"],
    });
    await seedCommitment(harness.store, { owner: bob.address, commitmentId: 4n, rulesHash, amount: 999n });
    for (const reader_ of [1n, 2n, 3n, 4n]) {
      const cached = await harness.store.commitments.get({
        chainId: 31337,
        vault: reader.vault,
        commitmentId: reader_,
      });
      if (cached !== null) reader.commitments.set(reader_, { ...cached });
    }
    // Window 0 of commitment 1: a qualifying run, a qualifying strength session and a too-short run.
    harness.clock.set(Date.UTC(2026, 10, 25, 12));
    for (const bytes of [oneHourRunFit(MONDAY_MS + 6 * HOUR_MS), strengthFit(MONDAY_MS + 30 * HOUR_MS)]) {
      workoutIds.push(await uploadFit(harness, aliceCookie, bytes));
    }
    const short = await request(harness.app)
      .post("/api/workouts")
      .set("Cookie", aliceCookie)
      .send({ sport: "run", startTime: "2026-11-24T18:00:00Z", durationMin: 20 });
    expect(short.status).to.equal(201);
  });
  after(async () => {
    await harness?.close();
  });

  const get = (path: string, cookie = aliceCookie) => request(harness.app).get(path).set("Cookie", cookie);

  it("shows a commitment with its terms, totals and each milestone's window, deadline, share and progress", async () => {
    const res = await get("/api/commitments/1");
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.equal(JSON_TYPE);
    expect(res.body).to.deep.equal({
      id: "1",
      owner: alice.address,
      token: TOKEN,
      amount: "1001",
      start: "2026-11-23T00:00:00Z",
      period: 7 * DAY,
      grace: DAY,
      beneficiary: BENEFICIARY,
      rulesHash,
      rules: RULES,
      rulesKnown: true,
      closed: false,
      totals: { released: "0", slashed: "0", refunded: "0", locked: "1001" },
      exitAvailable: false,
      milestones: [
        {
          index: 0,
          windowStart: "2026-11-23T00:00:00Z",
          windowEnd: "2026-11-30T00:00:00Z",
          claimDeadline: "2026-12-01T00:00:00Z",
          state: "Open",
          amount: "500",
          progress: { done: 2, required: 3, met: false, workouts: workoutIds },
          claimable: false,
          appealable: false,
          appealBond: "50",
          appeal: null,
        },
        {
          index: 1,
          windowStart: "2026-11-30T00:00:00Z",
          windowEnd: "2026-12-07T00:00:00Z",
          claimDeadline: "2026-12-08T00:00:00Z",
          state: "Open",
          amount: "501",
          progress: { done: 0, required: 3, met: false, workouts: [] },
          claimable: false,
          appealable: false,
          appealBond: "50",
          appeal: null,
        },
      ],
    });
  });

  it("shows an Appealed milestone with its appeal (bond, when, earliest expiry) and which Open one may be appealed now", async () => {
    // Windows [11-09, 11-16) and [11-16, 11-23), grace 3 days; now is 11-25 12:00.
    const appealedAt = Date.UTC(2026, 10, 16, 12) / 1000;
    // Its own owner, so the other tests' listings stay as they are.
    const carol = newAccount();
    const carolCookie = await cookieFor(harness, carol);
    const terms = {
      owner: carol.address,
      commitmentId: 5n,
      rulesHash,
      milestones: 2,
      amount: 1000n,
      start: MONDAY - 14 * DAY,
      grace: 3 * DAY,
      states: ["Appealed", "Open"] as MilestoneState[],
      appeals: [{ index: 0, appealedAt, bond: "50" }],
    };
    await seedCommitment(harness.store, terms);
    reader.commitments.set(5n, onChainCommitment(terms));
    const res = await get("/api/commitments/5", carolCookie);
    expect(res.status).to.equal(200);
    // An appealed share is still held by the vault.
    expect(res.body.totals).to.deep.equal({ released: "0", slashed: "0", refunded: "0", locked: "1000" });
    expect(
      res.body.milestones.map(
        (m: {
          state: string;
          appeal: unknown;
          appealable: boolean;
          appealBond: string;
          claimDeadline: string;
        }) => [m.state, m.appeal, m.appealable, m.appealBond, m.claimDeadline],
      ),
    ).to.deep.equal([
      [
        "Appealed",
        { appealedAt: "2026-11-16T12:00:00Z", bond: "50", expiresAt: "2026-11-30T12:00:00Z" },
        false,
        "50",
        "2026-11-19T00:00:00Z",
      ],
      // Window ended 11-23, deadline 11-26: the owner may appeal it now.
      ["Open", null, true, "50", "2026-11-26T00:00:00Z"],
    ]);
  });

  it("shows exitAvailable from the vault on every commitment not closed", async () => {
    reader.exitIsAvailable = true;
    try {
      const res = await get("/api/commitments");
      expect(res.status).to.equal(200);
      const flags = res.body.commitments.map((c: { id: string; exitAvailable: boolean }) => [
        c.id,
        c.exitAvailable,
      ]);
      expect(flags.length).to.be.greaterThan(0);
      expect(flags.every(([, available]: [string, boolean]) => available)).to.equal(true);
    } finally {
      reader.exitIsAvailable = false;
    }
    const after = await get("/api/commitments");
    expect(after.body.commitments.every((c: { exitAvailable: boolean }) => !c.exitAvailable)).to.equal(true);
  });

  it("marks a milestone claimable once its requirement is met", async () => {
    const third = await uploadFit(harness, aliceCookie, oneHourRunFit(MONDAY_MS + 50 * HOUR_MS));
    const res = await get("/api/commitments/1");
    expect(res.body.milestones[0].progress).to.deep.equal({
      done: 3,
      required: 3,
      met: true,
      workouts: [...workoutIds, third],
    });
    expect(res.body.milestones[0].claimable).to.equal(true);
    expect(res.body.milestones[1].claimable).to.equal(false);
  });

  it("shows rules: null, rulesKnown: false and no progress while the rules document is unknown", async () => {
    const res = await get("/api/commitments/2");
    expect(res.status).to.equal(200);
    expect(res.body.rules).to.equal(null);
    expect(res.body.rulesKnown).to.equal(false);
    expect(
      res.body.milestones.map((m: { progress: unknown; claimable: boolean }) => [m.progress, m.claimable]),
    ).to.deep.equal([[null, false]]);
  });

  it("shows settled milestones and where the stake went", async () => {
    const res = await get("/api/commitments/3");
    expect(res.body.totals).to.deep.equal({ released: "10", slashed: "10", refunded: "0", locked: "10" });
    expect(
      res.body.milestones.map((m: { state: string; amount: string }) => [m.state, m.amount]),
    ).to.deep.equal([
      ["Released", "10"],
      ["Slashed", "10"],
      ["Open", "10"],
    ]);
  });

  it("lists only the signed-in owner's commitments, ascending by id", async () => {
    const res = await get("/api/commitments");
    expect(res.status).to.equal(200);
    expect(res.body.commitments.map((c: { id: string }) => c.id)).to.deep.equal(["1", "2", "3"]);
    const one = await get("/api/commitments/1");
    expect(res.body.commitments[0]).to.deep.equal(one.body);
    const bobs = await get("/api/commitments", bobCookie);
    expect(bobs.body.commitments.map((c: { id: string }) => c.id)).to.deep.equal(["4"]);
  });

  it("answers another owner's commitment with 403 not_owner and none of its data", async () => {
    const res = await get("/api/commitments/4");
    expect(res.status).to.equal(403);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.deep.equal({
      type: "urn:resolution-autopilot:problem:not_owner",
      title: "Forbidden",
      status: 403,
      detail: "Commitment 4 belongs to another address.",
      code: "not_owner",
      commitmentId: "4",
      instance: "/api/commitments/4",
      requestId: res.headers["x-request-id"],
    });
    expect(JSON.stringify(res.body).toLowerCase()).to.not.include(bob.address.slice(2).toLowerCase());
  });

  it("answers an id that is not a decimal uint256 with 400 naming params.id", async () => {
    for (const id of ["abc", "01", "-1", "1.5", "0x1", (2n ** 256n).toString(), "9".repeat(79)]) {
      const res = await get(`/api/commitments/${id}`);
      expect(res.status, id).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body).to.include({ code: "invalid_request", field: "params.id" });
    }
  });

  it("answers an unknown commitment with 404 after asking the chain", async () => {
    const reads = reader.reads;
    const res = await get(`/api/commitments/${(2n ** 256n - 1n).toString()}`);
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal("commitment_not_found");
    expect(reader.reads).to.equal(reads + 1);
  });

  it("reads a commitment the cache misses through from the chain, and caches it", async () => {
    reader.commitments.set(
      9n,
      onChainCommitment({ owner: alice.address, commitmentId: 9n, rulesHash, milestones: 1, amount: 42n }),
    );
    const reads = reader.reads;
    const res = await get("/api/commitments/9");
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: "9", amount: "42", rulesKnown: true });
    expect(reader.reads).to.equal(reads + 1);
    const cached = await harness.store.commitments.get({
      chainId: 31337,
      vault: reader.vault,
      commitmentId: 9n,
    });
    expect(cached).to.include({ amount: 42n, updatedBlock: READ_THROUGH_BLOCK });
    await get("/api/commitments/9");
    expect(reader.reads).to.equal(reads + 1);
    const listed = await get("/api/commitments");
    expect(listed.body.commitments.map((c: { id: string }) => c.id)).to.deep.equal(["1", "2", "3", "9"]);
  });

  it("shows pause-extended claim deadlines from the chain, and the base deadline when the read fails", async () => {
    reader.extended.set("1:0", Date.UTC(2026, 11, 10) / 1000);
    reader.extended.set("1:1", Date.UTC(2026, 11, 20) / 1000);
    const res = await get("/api/commitments/1");
    expect(res.body.milestones.map((m: { claimDeadline: string }) => m.claimDeadline)).to.deep.equal([
      "2026-12-10T00:00:00Z",
      "2026-12-20T00:00:00Z",
    ]);
    // A list reads only the deadlines of windows that have opened (a claim could use no other now).
    const listed = await get("/api/commitments");
    expect(
      listed.body.commitments[0].milestones.map((m: { claimDeadline: string }) => m.claimDeadline),
    ).to.deep.equal(["2026-12-10T00:00:00Z", "2026-12-08T00:00:00Z"]);
    reader.failDeadlines = true;
    try {
      const fallback = await get("/api/commitments/1");
      expect(fallback.status).to.equal(200);
      expect(fallback.body.milestones[0].claimDeadline).to.equal("2026-12-01T00:00:00Z");
      expect(
        harness.logs.some((l) => l.msg === "claim deadline read failed; showing the deadline before pauses"),
      ).to.equal(true);
    } finally {
      reader.failDeadlines = false;
      reader.extended.clear();
    }
  });

  it("needs a session", async () => {
    for (const path of ["/api/commitments", "/api/commitments/1"]) {
      const res = await request(harness.app).get(path);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("unauthenticated");
    }
  });
});

describe("GET /api/commitments without a vault", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;

  before(async () => {
    harness = await openRoutesHarness({ chain: null });
  });
  after(async () => {
    await harness?.close();
  });

  it("answers 503 vault_not_configured", async () => {
    const cookie = await cookieFor(harness, newAccount());
    for (const path of ["/api/commitments", "/api/commitments/1"]) {
      const res = await request(harness.app).get(path).set("Cookie", cookie);
      expect(res.status).to.equal(503);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.code).to.equal("vault_not_configured");
    }
  });
});

describe("GET /api/commitments/:id through the view cache", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  const reader = new MemoryVaultReader();
  const alice = newAccount();
  const bob = newAccount();
  let aliceCookie: string;
  let bobCookie: string;
  let rulesHash: `0x${string}`;

  const get = (path: string, cookie = aliceCookie) => request(harness.app).get(path).set("Cookie", cookie);

  before(async () => {
    // A TTL far longer than the suite: every change seen below comes through the store's change feed.
    harness = await openRoutesHarness({ reader, viewCacheMs: 600_000 });
    aliceCookie = await cookieFor(harness, alice);
    bobCookie = await cookieFor(harness, bob);
    rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, { owner: alice.address, commitmentId: 1n, rulesHash, milestones: 2 });
    harness.clock.set(Date.UTC(2026, 10, 25, 12));
  });

  after(async () => {
    await harness?.close();
  });

  it("answers from memory what the store has not changed (a chain read not repeated)", async () => {
    const first = await get("/api/commitments/1");
    expect(first.status).to.equal(200);
    expect(first.headers["content-type"]).to.equal(JSON_TYPE);
    const reads = reader.reads;
    reader.extended.set("1:0", Date.UTC(2026, 11, 10) / 1000); // a pause the store knows nothing of
    try {
      const second = await get("/api/commitments/1");
      expect(second.body).to.deep.equal(first.body);
      expect(reader.reads).to.equal(reads);
    } finally {
      reader.extended.clear();
    }
  });

  it("shows an uploaded workout at once", async () => {
    const before = await get("/api/commitments/1");
    expect(before.body.milestones[0].progress.done).to.equal(0);
    const uploaded = await uploadFit(harness, aliceCookie, oneHourRunFit(MONDAY_MS + 6 * HOUR_MS));
    const after = await get("/api/commitments/1");
    expect(after.body.milestones[0].progress).to.deep.equal({
      done: 1,
      required: 3,
      met: false,
      workouts: [uploaded],
    });
  });

  it("shows a milestone state the indexer wrote at once", async () => {
    const current = await harness.store.commitments.get({
      chainId: 31337,
      vault: reader.vault,
      commitmentId: 1n,
    });
    if (current === null) throw new Error("commitment 1 not seeded");
    await harness.store.commitments.upsert({
      ...current,
      milestoneStates: ["Slashed", "Open"],
      updatedBlock: 12,
    });
    const res = await get("/api/commitments/1");
    expect(res.body.milestones[0].state).to.equal("Slashed");
    expect(res.body.totals.slashed).to.equal(res.body.milestones[0].amount);
  });

  it("still answers another owner 403 not_owner with none of the remembered view", async () => {
    expect((await get("/api/commitments/1")).status).to.equal(200);
    const res = await get("/api/commitments/1", bobCookie);
    expect(res.status).to.equal(403);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body.code).to.equal("not_owner");
    expect(JSON.stringify(res.body)).not.to.include(rulesHash);
    expect((await get("/api/commitments/1")).status).to.equal(200);
  });

  it("refuses another owner after one row lookup, before building any view for them", async () => {
    await seedCommitment(harness.store, { owner: alice.address, commitmentId: 6n, rulesHash, milestones: 3 });
    // Building commitment 6's view would read 3 deadlines from the chain, which has none for it: each failed
    // read is logged. A refusal must not get that far.
    const failedReads = () =>
      harness.logs.filter((l) => l.msg === "claim deadline read failed; showing the deadline before pauses")
        .length;
    const before = failedReads();
    const res = await get("/api/commitments/6", bobCookie);
    expect(res.status).to.equal(403);
    expect(failedReads()).to.equal(before);
    expect((await get("/api/commitments/6")).status).to.equal(200);
    expect(failedReads()).to.equal(before + 3);
  });

  it("does not remember an unknown commitment: one that appears later is shown", async () => {
    expect((await get("/api/commitments/5")).status).to.equal(404);
    await seedCommitment(harness.store, { owner: alice.address, commitmentId: 5n, rulesHash, amount: 5n });
    const res = await get("/api/commitments/5");
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: "5", amount: "5" });
  });
});
