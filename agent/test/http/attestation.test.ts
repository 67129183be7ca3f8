/**
 * `POST /api/commitments/:id/milestones/:index/attestation` and `.../claim`, end to end through the routes:
 * workouts uploaded as files, the commitment seeded as the indexer would, the oracle's signature checked against
 * `milestoneAttestationTypedData`. The attestation suite runs on every store driver (PGlite, PostgreSQL); the claim suite on
 * PGlite, with an in-memory VaultReader and a recording relayer.
 */
import { expect } from "chai";
import request from "supertest";
import { type Hex, recoverTypedDataAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";
import { evidenceHash } from "../../src/attestation/milestoneAttestation.ts";
import type { RelayClaimParameters, RelayClaimReturnType } from "../../src/chain/ports.ts";
import { storeDrivers } from "../store/storeDrivers.ts";
import { oneHourRunFit, pausedRideFit, strengthFit } from "../workouts/fixtures.ts";
import {
  CHAIN,
  cookieFor,
  DAY,
  MemoryVaultReader,
  MONDAY,
  newAccount,
  ORACLE_ADDRESS,
  openRoutesHarness,
  putRules,
  RecordingRelayer,
  type RoutesHarness,
  seedCommitment,
} from "./routesHarness.ts";
import { JSON_TYPE, PROBLEM_JSON, typeOf } from "./testApp.ts";

const HOUR_MS = 3_600_000;
const MONDAY_MS = MONDAY * 1000;
/** Thursday of the first week: window 0 is open. */
const THURSDAY = Date.UTC(2026, 10, 26, 12);
/** Base claim deadline of milestone 0 (window end + 2 days of grace). */
const DEADLINE_0 = MONDAY + 7 * DAY + 2 * DAY;

interface Setup {
  harness: RoutesHarness;
  cookie: string;
  owner: `0x${string}`;
  rulesHash: Hex;
  /** Content hashes of the three qualifying workouts of window 0. */
  qualifying: Hex[];
  tooShortId: string;
}

async function upload(harness: RoutesHarness, cookie: string, bytes: Uint8Array) {
  const res = await request(harness.app)
    .post("/api/workouts/upload")
    .set("Cookie", cookie)
    .attach("file", Buffer.from(bytes), "w.fit");
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.workouts[0] as { id: string; contentHash: Hex };
}

/** Commitment 1 (4 weekly milestones from Monday) with two qualifying workouts and a too-short one in window 0. */
async function setUp(harness: RoutesHarness): Promise<Setup> {
  const account = newAccount();
  const cookie = await cookieFor(harness, account);
  const rulesHash = await putRules(harness.store);
  await seedCommitment(harness.store, { owner: account.address, commitmentId: 1n, rulesHash });
  harness.clock.set(THURSDAY);
  const a = await upload(harness, cookie, oneHourRunFit(MONDAY_MS + 6 * HOUR_MS));
  const b = await upload(harness, cookie, pausedRideFit(MONDAY_MS + 30 * HOUR_MS));
  const short = await request(harness.app)
    .post("/api/workouts")
    .set("Cookie", cookie)
    .send({ sport: "strength", startTime: "2026-11-25T18:00:00Z", durationMin: 20 });
  return {
    harness,
    cookie,
    owner: account.address,
    rulesHash,
    qualifying: [a.contentHash, b.contentHash],
    tooShortId: short.body.workouts[0].id,
  };
}

for (const driver of storeDrivers) {
  describe(`POST /api/commitments/:id/milestones/:index/attestation on ${driver.name}`, function () {
    this.timeout(90_000);
    let s: Setup;

    before(async function () {
      s = await setUp(await openRoutesHarness({ driver, mocha: this }));
    });
    after(async () => {
      await s?.harness.close();
    });

    const attest = (path = "/api/commitments/1/milestones/0/attestation", cookie = s.cookie) =>
      request(s.harness.app).post(path).set("Cookie", cookie);

    async function attestationCount(): Promise<number> {
      const rows = await s.harness.store.attestations.listForMilestone({
        chainId: CHAIN.chainId,
        vault: CHAIN.vault,
        commitmentId: 1n,
        milestoneIndex: 0,
      });
      return rows.length;
    }

    it("answers 409 requirement_not_met naming how many are missing and the near misses", async () => {
      const res = await attest();
      expect(res.status).to.equal(409);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body).to.deep.include({
        type: typeOf("requirement_not_met"),
        code: "requirement_not_met",
        detail:
          "2 of 3 qualifying workouts in milestone 1's window: 1 more needed. 1 more workout in the window does not count (manual_not_allowed, too_short).",
        commitmentId: "1",
        milestoneIndex: 0,
        done: 2,
        required: 3,
        missing: 1,
      });
      expect(res.body.nearMisses).to.deep.equal([
        {
          workoutId: s.tooShortId,
          sport: "strength",
          startTime: "2026-11-25T18:00:00Z",
          durationSec: 1200,
          reasons: [
            {
              code: "manual_not_allowed",
              message: "These rules require evidence from a device; manual logs do not count.",
            },
            { code: "too_short", message: "20.0 min of moving time, the rules ask for at least 30 min." },
          ],
        },
      ]);
      expect(await attestationCount()).to.equal(0);
    });

    it("signs the attestation once the requirement is met; the signature recovers to the oracle", async () => {
      const third = await upload(s.harness, s.cookie, strengthFit(MONDAY_MS + 60 * HOUR_MS));
      const hashes = [...s.qualifying, third.contentHash];
      const res = await attest();
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal(JSON_TYPE);
      const expected = {
        commitmentId: "1",
        milestoneIndex: 0,
        evidenceHash: evidenceHash(hashes),
        validUntil: DEADLINE_0 - 1,
        signer: ORACLE_ADDRESS,
      };
      expect(res.body).to.deep.include(expected);
      expect(Object.keys(res.body).sort()).to.deep.equal([...Object.keys(expected), "signature"].sort());
      const typedData = milestoneAttestationTypedData({
        chainId: CHAIN.chainId,
        vault: CHAIN.vault,
        commitmentId: 1n,
        milestoneIndex: 0n,
        rulesHash: s.rulesHash,
        evidenceHash: expected.evidenceHash,
        validUntil: BigInt(expected.validUntil),
      });
      expect(await recoverTypedDataAddress({ ...typedData, signature: res.body.signature })).to.equal(
        ORACLE_ADDRESS,
      );

      const again = await attest();
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(res.body);
      expect(await attestationCount()).to.equal(1);
      const issued = (await s.harness.metrics.attestationsIssued.get()).values[0]?.value;
      expect(issued).to.equal(1);
      const audit = await s.harness.store.auditLog.list({
        subject: `commitment:${CHAIN.chainId}:${CHAIN.vault.toLowerCase()}:1`,
      });
      expect(audit.map((e) => e.action)).to.deep.equal(["attestation.signed"]);
      expect(audit[0]?.details).to.include({
        milestoneIndex: 0,
        signer: ORACLE_ADDRESS,
        evidenceHash: expected.evidenceHash,
      });
    });

    it("answers 409 window_not_open for a window that has not opened", async () => {
      const res = await attest("/api/commitments/1/milestones/2/attestation");
      expect(res.status).to.equal(409);
      expect(res.body).to.include({
        code: "window_not_open",
        milestoneIndex: 2,
        windowStart: "2026-12-07T00:00:00Z",
        detail: "Milestone 2's window opens on 2026-12-07T00:00:00Z.",
      });
    });

    it("answers 400 naming params.index for an index past the last milestone or not a number", async () => {
      for (const index of ["4", "103", "104", "x", "-1", "01"]) {
        const res = await attest(`/api/commitments/1/milestones/${index}/attestation`);
        expect(res.status, index).to.equal(400);
        expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
        expect(res.body.field, index).to.equal("params.index");
      }
      const badId = await attest("/api/commitments/one/milestones/0/attestation");
      expect(badId.status).to.equal(400);
      expect(badId.body.field).to.equal("params.id");
    });

    it("answers 400 for a body with fields", async () => {
      const res = await attest().send({ evidenceHash: "0x00" });
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ code: "invalid_request", field: "evidenceHash" });
    });

    it("answers 404 for an unknown commitment and 403 not_owner for someone else's, storing nothing", async () => {
      const unknown = await attest("/api/commitments/77/milestones/0/attestation");
      expect(unknown.status).to.equal(404);
      expect(unknown.body.code).to.equal("commitment_not_found");
      const mallory = newAccount();
      const res = await attest(
        "/api/commitments/1/milestones/0/attestation",
        await cookieFor(s.harness, mallory),
      );
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal("not_owner");
      expect(res.body).to.not.have.property("evidenceHash");
      expect(await attestationCount()).to.equal(1);
    });

    it("answers 409 rules_unknown when the agent does not know the rules document", async () => {
      await seedCommitment(s.harness.store, {
        owner: s.owner,
        commitmentId: 2n,
        rulesHash: `0x${"12".repeat(32)}`,
      });
      const res = await attest("/api/commitments/2/milestones/0/attestation");
      expect(res.status).to.equal(409);
      expect(res.body).to.include({
        code: "rules_unknown",
        detail:
          "The agent does not know the rules behind this commitment's rulesHash: POST the rules document to /api/rules.",
      });
    });

    it("answers 409 milestone_settled for a milestone that is no longer Open", async () => {
      await seedCommitment(s.harness.store, {
        owner: s.owner,
        commitmentId: 3n,
        rulesHash: s.rulesHash,
        states: ["Released", "Open", "Open", "Open"],
      });
      const res = await attest("/api/commitments/3/milestones/0/attestation");
      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: "milestone_settled", state: "Released" });
    });

    it("answers 409 claim_deadline_passed once window end + grace has passed", async () => {
      s.harness.clock.set(DEADLINE_0 * 1000);
      try {
        const res = await attest(
          "/api/commitments/1/milestones/0/attestation",
          await cookieFor(s.harness, newAccount()),
        );
        expect(res.status).to.equal(403);
        const own = await attest();
        expect(own.status).to.equal(409);
        expect(own.body).to.include({ code: "claim_deadline_passed", claimDeadline: "2026-12-02T00:00:00Z" });
      } finally {
        s.harness.clock.set(THURSDAY);
      }
    });

    it("signs for an Appealed milestone after its claim deadline (a late quorum settles an appeal), valid for the appeal period", async () => {
      // Same schedule as commitment 1: with this run, window 0 holds at least three qualifying workouts.
      await upload(s.harness, s.cookie, oneHourRunFit(MONDAY_MS + 80 * HOUR_MS));
      await seedCommitment(s.harness.store, {
        owner: s.owner,
        commitmentId: 4n,
        rulesHash: s.rulesHash,
        states: ["Appealed", "Open", "Open", "Open"],
        appeals: [{ index: 0, appealedAt: DEADLINE_0 - DAY, bond: "25000000000000000" }],
      });
      const now = DEADLINE_0 + 3 * DAY;
      s.harness.clock.set(now * 1000);
      try {
        const res = await attest("/api/commitments/4/milestones/0/attestation");
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.include({ commitmentId: "4", milestoneIndex: 0, signer: ORACLE_ADDRESS });
        // The appeal's earliest expiry: the same for every oracle, so their signatures make a quorum.
        expect(res.body.validUntil).to.equal(DEADLINE_0 - DAY + 14 * DAY);
        // The same milestone of commitment 1, still Open, is past its deadline: refused.
        const open = await attest();
        expect(open.status).to.equal(409);
        expect(open.body).to.include({ code: "claim_deadline_passed" });
        // Past the appeal's earliest expiry, expiring it (share and bond back) is the way: 409 appeal_period_over.
        s.harness.clock.set((DEADLINE_0 - DAY + 14 * DAY + 1) * 1000);
        const late = await attest("/api/commitments/4/milestones/0/attestation");
        expect(late.status).to.equal(409);
        expect(late.body).to.include({ code: "appeal_period_over", expiresAt: "2026-12-15T00:00:00Z" });
      } finally {
        s.harness.clock.set(THURSDAY);
      }
    });

    it("needs a session", async () => {
      const res = await request(s.harness.app).post("/api/commitments/1/milestones/0/attestation");
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("unauthenticated");
    });
  });
}

describe("attestation without an oracle key, and with a pause-extended deadline", function () {
  this.timeout(60_000);

  it("answers 503 oracle_not_configured once everything else checks out", async () => {
    const s = await setUp(await openRoutesHarness({ signer: null }));
    try {
      await upload(s.harness, s.cookie, strengthFit(MONDAY_MS + 60 * HOUR_MS));
      const res = await request(s.harness.app)
        .post("/api/commitments/1/milestones/0/attestation")
        .set("Cookie", s.cookie);
      expect(res.status).to.equal(503);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.code).to.equal("oracle_not_configured");
    } finally {
      await s.harness.close();
    }
  });

  it("signs until the vault's pause-extended deadline, with validUntil one second before it", async () => {
    const reader = new MemoryVaultReader();
    const s = await setUp(await openRoutesHarness({ reader }));
    try {
      await upload(s.harness, s.cookie, strengthFit(MONDAY_MS + 60 * HOUR_MS));
      const cached = await s.harness.store.commitments.get({ ...CHAIN, commitmentId: 1n });
      if (cached === null) throw new Error("seeded");
      reader.commitments.set(1n, cached);
      const extended = DEADLINE_0 + 5 * DAY;
      reader.extended.set("1:0", extended);
      s.harness.clock.set(DEADLINE_0 * 1000 + HOUR_MS);
      const res = await request(s.harness.app)
        .post("/api/commitments/1/milestones/0/attestation")
        .set("Cookie", s.cookie);
      expect(res.status).to.equal(200);
      expect(res.body.validUntil).to.equal(extended - 1);
    } finally {
      await s.harness.close();
    }
  });
});

describe("POST /api/commitments/:id/milestones/:index/claim", function () {
  this.timeout(60_000);
  // Hardhat's development accounts #2 and #3 (public, local only): two more oracles.
  const second = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  const third = privateKeyToAccount("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");
  const reader = new MemoryVaultReader();
  const relayer = new RecordingRelayer();
  let s: Setup;
  let typedData: ReturnType<typeof milestoneAttestationTypedData>;
  let ours: { evidenceHash: Hex; validUntil: number; signature: Hex };

  before(async () => {
    s = await setUp(await openRoutesHarness({ reader, relayer }));
    await upload(s.harness, s.cookie, strengthFit(MONDAY_MS + 60 * HOUR_MS));
    const cached = await s.harness.store.commitments.get({ ...CHAIN, commitmentId: 1n });
    if (cached === null) throw new Error("seeded");
    reader.commitments.set(1n, cached);
    const res = await request(s.harness.app)
      .post("/api/commitments/1/milestones/0/attestation")
      .set("Cookie", s.cookie);
    expect(res.status).to.equal(200);
    ours = res.body;
    typedData = milestoneAttestationTypedData({
      chainId: CHAIN.chainId,
      vault: CHAIN.vault,
      commitmentId: 1n,
      milestoneIndex: 0n,
      rulesHash: s.rulesHash,
      evidenceHash: ours.evidenceHash,
      validUntil: BigInt(ours.validUntil),
    });
  });
  after(async () => {
    await s?.harness.close();
  });

  const claim = (body?: object, cookie = s.cookie) => {
    const req = request(s.harness.app).post("/api/commitments/1/milestones/0/claim").set("Cookie", cookie);
    return body === undefined ? req : req.send(body);
  };

  it("answers 409 quorum_not_met naming what the other oracles must sign", async () => {
    reader.oracles = [ORACLE_ADDRESS, second.address, third.address];
    reader.threshold = 2;
    const res = await claim();
    expect(res.status).to.equal(409);
    expect(res.body).to.include({
      code: "quorum_not_met",
      have: 1,
      threshold: 2,
      evidenceHash: ours.evidenceHash,
      validUntil: ours.validUntil,
    });
    expect(relayer.calls).to.have.length(0);
  });

  it("refuses a signature over other evidence, and one by an address that is not an oracle", async () => {
    const otherEvidence = await second.signTypedData(
      milestoneAttestationTypedData({
        chainId: CHAIN.chainId,
        vault: CHAIN.vault,
        commitmentId: 1n,
        milestoneIndex: 0n,
        rulesHash: s.rulesHash,
        evidenceHash: `0x${"00".repeat(32)}`,
        validUntil: BigInt(ours.validUntil),
      }),
    );
    const wrong = await claim({ signatures: [{ signer: second.address, signature: otherEvidence }] });
    expect(wrong.status).to.equal(422);
    expect(wrong.body).to.include({ code: "invalid_signature", field: "signatures.0.signature" });
    const stranger = newAccount();
    const strangerSignature = await stranger.signTypedData(typedData);
    const notOracle = await claim({
      signatures: [{ signer: stranger.address, signature: strangerSignature }],
    });
    expect(notOracle.status).to.equal(422);
    expect(notOracle.body).to.include({ code: "not_an_oracle", field: "signatures.0.signer" });
    const malformed = await claim({ signatures: [{ signer: second.address, signature: "0x1234" }] });
    expect(malformed.status).to.equal(400);
    expect(malformed.body.field).to.equal("signatures.0.signature");
    const extra = await claim({ signatures: [], gas: 1 });
    expect(extra.status).to.equal(400);
    expect(extra.body.field).to.equal("gas");
    expect(relayer.calls).to.have.length(0);
  });

  it("takes the evidence set to claim with: a workout this oracle did not accept is a 409 naming it, nothing relayed", async () => {
    const unknown = `0x${"cd".repeat(32)}`;
    const res = await claim({ workouts: [...s.qualifying, unknown] });
    expect(res.status).to.equal(409);
    expect(res.body).to.include({
      code: "evidence_workout_not_qualifying",
      field: "workouts.2",
      contentHash: unknown,
    });
    const twice = await claim({ workouts: [unknown, unknown, unknown] });
    expect(twice.status).to.equal(400);
    expect(twice.body.field).to.equal("workouts");
    expect(relayer.calls).to.have.length(0);
  });

  it("relays the quorum, de-duplicated and sorted by signer, and answers 202", async () => {
    const bySecond = await second.signTypedData(typedData);
    const byThird = await third.signTypedData(typedData);
    const res = await claim({
      signatures: [
        { signer: third.address, signature: byThird },
        { signer: second.address, signature: bySecond },
        { signer: third.address, signature: byThird },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    expect(res.body).to.deep.equal({ status: "pending", txHash: `0x${"ab".repeat(32)}`, submitted: true });
    const bySigner = new Map<string, Hex>([
      [ORACLE_ADDRESS.toLowerCase(), ours.signature],
      [second.address.toLowerCase(), bySecond],
      [third.address.toLowerCase(), byThird],
    ]);
    const ascending = [...bySigner.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(relayer.calls).to.deep.equal([
      {
        commitmentId: 1n,
        milestoneIndex: 0,
        evidenceHash: ours.evidenceHash,
        validUntil: ours.validUntil,
        signatures: ascending.map((signer) => bySigner.get(signer)),
      },
    ]);
  });

  it("says submitted: false when the milestone was already sent", async () => {
    reader.oracles = [ORACLE_ADDRESS];
    reader.threshold = 1;
    const res = await claim();
    expect(res.status).to.equal(202);
    expect(res.body.submitted).to.equal(false);
    expect(relayer.calls.at(-1)?.signatures).to.deep.equal([ours.signature]);
  });

  it("answers 403 for someone else's commitment without relaying", async () => {
    const calls = relayer.calls.length;
    const res = await claim(undefined, await cookieFor(s.harness, newAccount()));
    expect(res.status).to.equal(403);
    expect(relayer.calls).to.have.length(calls);
  });
});

describe("POST .../claim without a relayer", function () {
  this.timeout(60_000);

  it("answers 503 relayer_disabled", async () => {
    const harness = await openRoutesHarness();
    try {
      const res = await request(harness.app)
        .post("/api/commitments/1/milestones/0/claim")
        .set("Cookie", await cookieFor(harness, newAccount()));
      expect(res.status).to.equal(503);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.code).to.equal("relayer_disabled");
      // A malformed path is a 400 naming the parameter, relayer or not.
      const bad = await request(harness.app)
        .post("/api/commitments/x/milestones/-1/claim")
        .set("Cookie", await cookieFor(harness, newAccount()));
      expect(bad.status).to.equal(400);
      expect(bad.body.code).to.equal("invalid_request");
      expect(bad.body.field).to.match(/^params\./);
      // So is a malformed body, naming its field.
      const badBody = await request(harness.app)
        .post("/api/commitments/1/milestones/0/claim")
        .set("Cookie", await cookieFor(harness, newAccount()))
        .send({ signatures: "not a list" });
      expect(badBody.status, JSON.stringify(badBody.body)).to.equal(400);
      expect(badBody.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(badBody.body.field).to.equal("signatures");
    } finally {
      await harness.close();
    }
  });
});

describe("POST .../claim twice at once on one replica", function () {
  this.timeout(60_000);
  /** A relayer that takes a while to send, as a real one does (simulate, sign, broadcast). */
  class SlowRelayer extends RecordingRelayer {
    override async relayClaim(parameters: RelayClaimParameters): Promise<RelayClaimReturnType> {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return super.relayClaim(parameters);
    }
  }
  const reader = new MemoryVaultReader();
  const relayer = new SlowRelayer();
  let s: Setup;

  before(async () => {
    s = await setUp(await openRoutesHarness({ reader, relayer }));
    await upload(s.harness, s.cookie, strengthFit(MONDAY_MS + 60 * HOUR_MS));
    const cached = await s.harness.store.commitments.get({ ...CHAIN, commitmentId: 1n });
    if (cached === null) throw new Error("seeded");
    reader.commitments.set(1n, cached);
  });
  after(async () => {
    await s?.harness.close();
  });

  it("relays the milestone once: the second request waits for the first and says submitted: false", async () => {
    const claim = () =>
      request(s.harness.app).post("/api/commitments/1/milestones/0/claim").set("Cookie", s.cookie);
    const answers = await Promise.all([claim(), claim()]);
    expect(answers.map((res) => res.status)).to.deep.equal([202, 202]);
    expect(answers.map((res) => res.body.submitted).sort()).to.deep.equal([false, true]);
    expect(relayer.calls).to.have.length(1);
  });
});
