/**
 * The load test's audit rules on hand-made facts (`node --test loadtest/audit/audit.test.ts`, run by
 * `npm run test:load` before the run itself): the audit is what fails a run, so each rule must be seen to fire.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Address, Hash } from "viem";
import type { UserOutcome } from "../users/journey.ts";
import type { RequestRecord } from "../users/requestLog.ts";
import { type AuditInput, audit } from "./audit.ts";

const OWNER = "0x00000000000000000000000000000000000000a1" as Address;
const TX = `0x${"11".repeat(32)}` as Hash;

function input(overrides: Partial<AuditInput> = {}): AuditInput {
  const user: UserOutcome = {
    index: 1,
    address: OWNER,
    token: "eth",
    commitmentId: 7n,
    start: 0,
    milestones: [
      { index: 0, accepted: 2, uncertain: false, claim: "auto" },
      { index: 1, accepted: 0, uncertain: false, claim: "auto" },
    ],
    uploads: [],
  };
  return {
    users: [user],
    failures: [],
    windows: [{ fault: "replica", startMs: 10_000, endMs: 20_000 }],
    chain: {
      commitments: new Map([[7n, { owner: OWNER, milestones: 2 }]]),
      settlements: [
        { commitmentId: 7n, index: 0, kind: "released", txHash: TX, blockNumber: 5n },
        { commitmentId: 7n, index: 1, kind: "slashed", txHash: TX, blockNumber: 6n },
      ],
      operatorTxs: new Set(),
      attempts: [],
      operatorNonce: { latest: 0, pending: 0 },
      head: 10n,
    },
    database: {
      workouts: new Map(),
      chainTransactions: [],
      attested: new Set(),
      auditEntries: new Set(["oracle:7:0", "oracle:7:1"]),
      cachedCommitments: new Map(),
    },
    slackMs: 1_000,
    ...overrides,
  };
}

const failure = (at: number, latencyMs: number, extra: Partial<RequestRecord> = {}): RequestRecord => ({
  route: "GET /api/commitments/:id",
  status: 0,
  latencyMs,
  at,
  replica: "agent-2",
  code: "ECONNRESET",
  ...extra,
});

describe("load test audit", () => {
  it("passes a run where every milestone settled once and correctly", () => {
    assert.deepEqual(audit(input()).violations, []);
  });

  it("a failure seen during a fault is the fault's; one seen before it, or long after, is not", () => {
    // Sent 36 ms before the replica was killed, reset by the kill (judged by its start alone it was outside).
    assert.deepEqual(audit(input({ failures: [failure(9_964, 60)] })).violations, []);
    const before = audit(input({ failures: [failure(9_000, 500)] })).violations;
    assert.equal(before.length, 1);
    assert.equal(before[0]?.rule, "answered outside outages");
    // Started before the window, failed 30 s after its end (and the slack): not excused by the overlap.
    const after = audit(input({ failures: [failure(9_000, 41_000)] })).violations;
    assert.equal(after.length, 1);
  });

  it("a 503 counts in a window only with Retry-After; a 500 never", () => {
    const answered = (status: number, retryAfter?: string) =>
      failure(15_000, 5, { status, code: "x", ...(retryAfter === undefined ? {} : { retryAfter }) });
    assert.deepEqual(audit(input({ failures: [answered(503, "1")] })).violations, []);
    assert.equal(audit(input({ failures: [answered(503)] })).violations.length, 1);
    assert.equal(audit(input({ failures: [answered(500, "1")] })).violations.length, 1);
  });

  it("a met milestone left unsettled is a violation that says what the database holds of it", () => {
    const base = input();
    const violations = audit({
      ...base,
      chain: { ...base.chain, settlements: base.chain.settlements.slice(1) },
      database: {
        ...base.database,
        attested: new Set(["7:0"]),
        chainTransactions: [
          {
            kind: "claim",
            commitmentId: "7",
            milestoneIndex: 0,
            nonce: 3,
            txHash: null,
            status: "failed",
            lastError: "reverted",
          },
        ],
      },
    }).violations;
    assert.equal(violations.length, 1);
    assert.equal(violations[0]?.rule, "settled exactly once");
    assert.match(
      violations[0]?.detail ?? "",
      /0 settlements; 2 accepted uploads; attested; claim row failed nonce 3 \(reverted\); no cache row$/,
    );
    const cachedRow = {
      closed: false,
      milestoneStates: ["Open", "Slashed"],
      start: 1_700_000_000,
      updatedBlock: 42,
      updatedAt: "2026-12-06T15:00:00.000Z",
    };
    const withRow = audit({
      ...base,
      chain: { ...base.chain, settlements: base.chain.settlements.slice(1) },
      database: { ...base.database, cachedCommitments: new Map([["7", cachedRow]]) },
    }).violations;
    assert.match(
      withRow[0]?.detail ?? "",
      /not attested; no transaction row; cache row open \[Open, Slashed\] start 1700000000 read at block 42 \(2026-12-06T15:00:00.000Z\)$/,
    );
  });

  it("a met milestone slashed is settled wrongly", () => {
    const base = input();
    const slashedTooSoon = {
      commitmentId: 7n,
      index: 0,
      kind: "slashed" as const,
      txHash: TX,
      blockNumber: 5n,
    };
    const settlements = [slashedTooSoon, ...base.chain.settlements.slice(1)];
    const violations = audit({ ...base, chain: { ...base.chain, settlements } }).violations;
    assert.deepEqual(
      violations.map((v) => v.rule),
      ["settled correctly"],
    );
  });
});
