/**
 * `GET /api/challenges` and `GET /api/challenges/:id` over a real store (PGlite) seeded the way the challenge
 * indexer fills it: parameters, pot, participants' standing from their vault commitments, the signed-in caller's
 * own participation, pagination, and the 400/404/503 problems.
 */
import { expect } from "chai";
import request from "supertest";
import { getAddress } from "viem";
import { challengesRouter } from "../../src/http/challengesRouter.ts";
import type { ChallengeInput } from "../../src/store/challengesRepository.ts";
import {
  BENEFICIARY,
  CHAIN,
  cookieFor,
  DAY,
  MONDAY,
  newAccount,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  seedCommitment,
  TOKEN,
} from "./routesHarness.ts";
import { JSON_TYPE, PROBLEM_JSON } from "./testApp.ts";

const POOL = getAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
const STAKE = 10n ** 18n;

describe("GET /api/challenges", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  let unconfigured: RoutesHarness;
  const alice = newAccount();
  const bob = newAccount();
  const carol = newAccount();
  const dave = newAccount();
  const stranger = newAccount();
  let aliceCookie: string;
  let strangerCookie: string;

  const challenge = (challengeId: bigint, overrides: Partial<ChallengeInput> = {}): ChallengeInput => ({
    chainId: CHAIN.chainId,
    pool: POOL,
    challengeId,
    creator: stranger.address,
    token: TOKEN,
    stake: STAKE,
    start: MONDAY,
    period: 7 * DAY,
    milestones: 2,
    grace: DAY,
    rulesHash: `0x${"11".repeat(32)}`,
    joinDeadline: MONDAY,
    maxParticipants: 10,
    feeBps: 500,
    feeRecipient: BENEFICIARY,
    fallbackBeneficiary: BENEFICIARY,
    participants: 4,
    settled: 1,
    finishers: 0,
    pot: STAKE,
    updatedBlock: 1,
    ...overrides,
  });

  before(async () => {
    harness = await openRoutesHarness();
    harness.routes.use(
      "/challenges",
      challengesRouter({
        store: harness.store,
        clock: harness.clock,
        chain: CHAIN,
        pool: { chainId: CHAIN.chainId, address: POOL },
      }),
    );
    unconfigured = await openRoutesHarness();
    unconfigured.routes.use(
      "/challenges",
      challengesRouter({
        store: unconfigured.store,
        clock: unconfigured.clock,
        chain: CHAIN,
        pool: undefined,
      }),
    );
    aliceCookie = await cookieFor(harness, alice);
    strangerCookie = await cookieFor(harness, stranger);
    const rulesHash = await putRules(harness.store);
    const { store } = harness;
    await store.challenges.upsert(challenge(1n));
    for (let id = 2n; id <= 3n; id++)
      await store.challenges.upsert(challenge(id, { participants: 0, settled: 0, pot: 0n }));
    // The clock is Monday 07:00 of week 0; move it into week 1: window 0 has ended.
    harness.clock.advance(7 * DAY * 1000 + 3_600_000);
    const seats = [
      { who: alice, id: 11n, states: ["Released", "Open"] as const, status: "joined" as const },
      { who: bob, id: 12n, states: ["Open", "Open"] as const, status: "joined" as const },
      { who: carol, id: 13n, states: ["Slashed", "Open"] as const, status: "joined" as const },
      { who: dave, id: 14n, states: ["Slashed", "Slashed"] as const, status: "out" as const },
    ];
    for (const seat of seats) {
      await seedCommitment(store, {
        owner: seat.who.address,
        commitmentId: seat.id,
        rulesHash,
        milestones: 2,
        states: [...seat.states],
      });
      await store.challenges.upsertParticipant({
        chainId: CHAIN.chainId,
        pool: POOL,
        challengeId: 1n,
        participant: seat.who.address,
        commitmentId: seat.id,
        status: seat.status,
        winnings: 0n,
        updatedBlock: 1,
      });
    }
  });

  after(async () => {
    await harness?.close();
    await unconfigured?.close();
  });

  it("lists challenges by id with a bounded page and a cursor, signed out", async () => {
    const first = await request(harness.app).get("/api/challenges?limit=2");
    expect(first.status).to.equal(200);
    expect(first.headers["content-type"]).to.equal(JSON_TYPE);
    expect(first.body.challenges.map((c: { id: string }) => c.id)).to.deep.equal(["1", "2"]);
    expect(first.body.nextCursor).to.equal("2");
    expect(first.body.challenges[0]).to.include({
      stake: STAKE.toString(),
      pot: STAKE.toString(),
      participantCount: 4,
      settledCount: 1,
      feeBps: 500,
      phase: "running",
      creator: stranger.address,
    });
    const second = await request(harness.app).get(`/api/challenges?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).to.deep.include({ nextCursor: null });
    expect(second.body.challenges.map((c: { id: string }) => c.id)).to.deep.equal(["3"]);
  });

  it("shows one challenge: parameters, pot, every participant's standing and the caller's commitment", async () => {
    const res = await request(harness.app).get("/api/challenges/1").set("Cookie", aliceCookie);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: "1", milestones: 2, pot: STAKE.toString(), winningsEach: null });
    const standing = Object.fromEntries(
      res.body.participants.map((p: { address: string; standing: string }) => [p.address, p.standing]),
    );
    expect(standing).to.deep.equal({
      [alice.address]: "on_track",
      [bob.address]: "behind",
      [carol.address]: "out",
      [dave.address]: "out",
    });
    expect(res.body.you).to.deep.equal({
      address: alice.address,
      commitmentId: "11",
      status: "joined",
      standing: "on_track",
      milestonesReleased: 1,
      claimable: "0",
    });
    const signedOut = await request(harness.app).get("/api/challenges/1");
    expect(signedOut.body.you).to.equal(null);
    const notIn = await request(harness.app).get("/api/challenges/1").set("Cookie", strangerCookie);
    expect(notIn.body.you).to.equal(null);
  });

  it("pages participants by address", async () => {
    const first = await request(harness.app).get("/api/challenges/1?limit=3");
    expect(first.body.participants).to.have.length(3);
    expect(first.body.nextParticipantCursor).to.be.a("string");
    const rest = await request(harness.app).get(
      `/api/challenges/1?limit=3&cursor=${first.body.nextParticipantCursor}`,
    );
    expect(rest.body.participants).to.have.length(1);
    expect(rest.body.nextParticipantCursor).to.equal(null);
  });

  it("answers problems: 400 naming the field, 404 for an unknown challenge, 503 without a pool", async () => {
    for (const [path, field] of [
      ["/api/challenges/abc", "params.id"],
      ["/api/challenges/01", "params.id"],
      [`/api/challenges/${2n ** 256n}`, "params.id"],
      ["/api/challenges?limit=0", "query.limit"],
      ["/api/challenges?limit=101", "query.limit"],
      ["/api/challenges?cursor=x", "query.cursor"],
      ["/api/challenges/1?cursor=0x12", "query.cursor"],
    ] as const) {
      const res = await request(harness.app).get(path);
      expect(res.status, path).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.field, path).to.equal(field);
    }
    const unknown = await request(harness.app).get("/api/challenges/99");
    expect(unknown.status).to.equal(404);
    expect(unknown.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(unknown.body).to.include({ code: "challenge_not_found", challengeId: "99" });
    const off = await request(unconfigured.app).get("/api/challenges");
    expect(off.status).to.equal(503);
    expect(off.body.code).to.equal("challenge_pool_not_configured");
  });
});
