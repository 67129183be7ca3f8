import { type Address, type Hex, pad, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { AgentUnreachableError, ProblemError } from "../api/agentClient.ts";
import type { Attestation } from "../api/schemas.ts";
import type { OracleAgent } from "./oracleAgents.ts";
import {
  commonEvidence,
  gatherQuorum,
  pickAgreeing,
  QuorumError,
  type QuorumDependencies,
  sortSignatures,
  summarizeVerdicts,
  verdictOf,
  verdictOfError,
} from "./quorum.ts";

const A = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address; // sorts third
const B = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address; // sorts first
const C = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address; // sorts second
const h = (n: number) => pad(toHex(n), { size: 32 }) as Hex;
const sig = (n: number) => `0x${n.toString(16).padStart(130, "0")}` as Hex;

function att(signer: Address, evidence: number, validUntil = 100n): Attestation {
  return {
    commitmentId: 1n,
    milestoneIndex: 0n,
    evidenceHash: h(evidence),
    validUntil,
    signer,
    signature: sig(BigInt(signer) % 1000n === 0n ? 1 : Number(BigInt(signer) % 100000n)),
  };
}

const agents: OracleAgent[] = [
  { url: "http://o1", label: "Oracle 1", oracle: A },
  { url: "http://o2", label: "Oracle 2", oracle: B },
  { url: "http://o3", label: "Oracle 3", oracle: C },
];

describe("sortSignatures", () => {
  it("keeps one signature per signer (any case) and sorts by address ascending", () => {
    const sorted = sortSignatures([
      att(A, 1),
      att(C, 1),
      att(B, 1),
      { ...att(A, 1), signer: A.toLowerCase() as Address },
    ]);
    expect(sorted.map((s) => s.signer)).toEqual([B, C, A]);
  });
});

describe("verdicts", () => {
  const milestone = (met: boolean) => ({
    index: 0,
    windowStart: "2026-12-01T00:00:00Z",
    windowEnd: "2026-12-08T00:00:00Z",
    claimDeadline: "2026-12-09T00:00:00Z",
    state: "Open",
    amount: 1n,
    progress: { done: met ? 3 : 2, required: 3, met },
    claimable: met,
  });
  it("reads met / not met / not open from the agent's milestone", () => {
    expect(verdictOf(milestone(true))).toEqual({ kind: "met", done: 3, required: 3 });
    expect(verdictOf(milestone(false))).toEqual({ kind: "not_met", done: 2, required: 3 });
    expect(verdictOf({ ...milestone(true), progress: null })).toEqual({ kind: "unknown" });
    expect(verdictOf(undefined)).toEqual({ kind: "unknown" });
  });
  it("tells a down agent from a signed-out one and a refusal", () => {
    expect(verdictOfError(new AgentUnreachableError(new TypeError("fetch failed")))).toEqual({
      kind: "unreachable",
    });
    expect(verdictOfError(new ProblemError(401, { code: "unauthenticated" }))).toEqual({
      kind: "signed_out",
    });
    expect(verdictOfError(new ProblemError(503, {})).kind).toBe("unreachable");
    expect(verdictOfError(new ProblemError(409, { detail: "2 of 3 workouts" }))).toEqual({
      kind: "error",
      message: "2 of 3 workouts",
    });
  });
  it("counts the oracles that say met against the threshold", () => {
    const s = summarizeVerdicts(
      [
        { kind: "met", done: 3, required: 3 },
        { kind: "unreachable" },
        { kind: "not_met", done: 1, required: 3 },
      ],
      2,
    );
    expect(s).toEqual({ met: 1, of: 3, threshold: 2, enough: false });
  });
});

describe("pickAgreeing", () => {
  it("takes threshold signatures over the same evidence hash and validUntil, sorted", () => {
    const picked = pickAgreeing([att(A, 1), att(C, 2), att(B, 1)], 2);
    expect(picked?.map((a) => a.signer)).toEqual([B, A]);
  });
  it("does not mix validUntils, nor count one signer twice, nor a signer who is not a current oracle", () => {
    expect(pickAgreeing([att(A, 1, 100n), att(B, 1, 101n)], 2)).toBeUndefined();
    expect(pickAgreeing([att(A, 1), att(A, 1)], 2)).toBeUndefined();
    expect(pickAgreeing([att(A, 1), att(B, 1)], 2, [A, C])).toBeUndefined();
  });
});

describe("commonEvidence", () => {
  const w = (n: number, day: number) => ({ contentHash: h(n), startTime: `2026-12-0${day}T07:00:00Z` });
  it("finds threshold oracles sharing `required` workouts and picks the earliest of them", () => {
    const o1 = { workouts: [w(1, 1), w(2, 2), w(3, 3), w(4, 4)] };
    const o2 = { workouts: [w(4, 4), w(3, 3), w(2, 2)] };
    expect(commonEvidence([o1, o2], 2, 3)).toEqual({ members: [0, 1], workouts: [h(2), h(3), h(4)] });
  });
  it("answers undefined when no threshold of them share enough", () => {
    expect(
      commonEvidence([{ workouts: [w(1, 1), w(2, 2)] }, { workouts: [w(2, 2), w(3, 3)] }], 2, 2),
    ).toBeUndefined();
  });
});

function fakeDeps(
  behaviour: Record<string, (workouts?: readonly Hex[]) => Attestation>,
  evidence: Record<string, number[]>,
) {
  const calls: string[] = [];
  const deps: QuorumDependencies = {
    attest: async (agent, _id, _index, workouts) => {
      calls.push(`${agent.label}${workouts ? ` [${workouts.length}]` : ""}`);
      const f = behaviour[agent.label];
      if (f === undefined) throw new AgentUnreachableError(new TypeError("fetch failed"));
      return f(workouts);
    },
    evidence: async (agent) => ({
      required: 3,
      workouts: (evidence[agent.label] ?? []).map((n) => ({
        contentHash: h(n),
        startTime: `2026-12-0${n}T07:00:00Z`,
      })),
    }),
  };
  return { deps, calls };
}

describe("gatherQuorum", () => {
  it("uses the canonical signatures when two oracles agree, with one oracle down", async () => {
    const { deps, calls } = fakeDeps({ "Oracle 1": () => att(A, 7), "Oracle 2": () => att(B, 7) }, {});
    const q = await gatherQuorum({ agents, commitmentId: 1n, milestoneIndex: 0, threshold: 2, deps });
    expect(q.evidenceHash).toBe(h(7));
    expect(q.attestations.map((a) => a.signer)).toEqual([B, A]);
    expect(q.signatures).toEqual([att(B, 7).signature, att(A, 7).signature]);
    expect(q.workouts).toBeUndefined();
    expect(calls).toEqual(["Oracle 1", "Oracle 2", "Oracle 3"]);
  });

  it("asks for an explicit shared set when an oracle missed an upload, then claims 2 of 3", async () => {
    const explicitHash = 99;
    const signer = (who: Address, canonical: number) => (workouts?: readonly Hex[]) =>
      workouts === undefined ? att(who, canonical) : att(who, explicitHash);
    const { deps, calls } = fakeDeps(
      { "Oracle 1": signer(A, 1), "Oracle 2": signer(B, 2) },
      { "Oracle 1": [1, 2, 3, 4], "Oracle 2": [2, 3, 4] },
    );
    const q = await gatherQuorum({ agents, commitmentId: 1n, milestoneIndex: 0, threshold: 2, deps });
    expect(q.evidenceHash).toBe(h(explicitHash));
    expect(q.workouts).toEqual([h(2), h(3), h(4)]);
    expect(q.attestations.map((a) => a.signer)).toEqual([B, A]);
    expect(calls.slice(3).sort()).toEqual(["Oracle 1 [3]", "Oracle 2 [3]"]);
  });

  it("fails naming each oracle's answer when too few sign", async () => {
    const { deps } = fakeDeps(
      {
        "Oracle 1": () => att(A, 1),
        "Oracle 2": () => {
          throw new ProblemError(409, { detail: "2 of 3 workouts" });
        },
      },
      {},
    );
    const error = await gatherQuorum({
      agents,
      commitmentId: 1n,
      milestoneIndex: 0,
      threshold: 2,
      deps,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).outcomes).toEqual([
      { label: "Oracle 1", outcome: "signed" },
      { label: "Oracle 2", outcome: "refused (2 of 3 workouts)" },
      { label: "Oracle 3", outcome: "unreachable" },
    ]);
    expect((error as Error).message).toContain("1 of the 2 oracle signatures");
  });

  it("with one agent and threshold 1 behaves as before: its canonical signature", async () => {
    const { deps } = fakeDeps({ "Oracle 1": () => att(A, 5) }, {});
    const q = await gatherQuorum({
      agents: agents.slice(0, 1),
      commitmentId: 1n,
      milestoneIndex: 0,
      threshold: 1,
      deps,
    });
    expect(q.signatures).toEqual([att(A, 5).signature]);
  });
});
