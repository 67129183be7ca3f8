/**
 * Talking to every oracle of a deployment (PRODUCT.md v2, "evidence sets"): each oracle's verdict per milestone,
 * and gathering `threshold` signatures over ONE attestation for `claimMilestone`.
 *
 * Gathering, for one milestone:
 * 1. every agent is asked for its signature over the canonical set (no body: the earliest qualifying workouts, as
 *    many as the rules require). Oracles that saw the same uploads sign the same `evidenceHash`; `validUntil` is
 *    the claim deadline − 1 on every oracle. If `threshold` distinct current oracles agree, that is the quorum.
 * 2. otherwise the oracles that said "met" saw different uploads (one missed a file): the app looks for
 *    `threshold` of them that share `required` qualifying workouts (by content hash), picks the earliest of those
 *    and asks exactly those oracles to sign that explicit set (`{ workouts }`), which they then all hash alike.
 * Signatures are de-duplicated by signer and sorted by signer ascending, as the vault requires. An agent that is
 * down, or answers an error, simply does not count; the error names what was missing when no quorum forms.
 */
import type { Address, Hex } from "viem";
import { AgentUnreachableError, ProblemError } from "../api/agentClient.ts";
import type { ApiMilestone, Attestation, Workout } from "../api/schemas.ts";
import type { OracleAgent } from "./oracleAgents.ts";

/** One oracle's view of one milestone. */
export type Verdict =
  | { kind: "met"; done: number; required: number }
  | { kind: "not_met"; done: number; required: number }
  /** The window has not opened, or the agent does not know the rules. */
  | { kind: "unknown" }
  | { kind: "signed_out" }
  | { kind: "unreachable" }
  | { kind: "error"; message: string };

export const VERDICT_LABEL: Record<Verdict["kind"], string> = {
  met: "met",
  not_met: "not met",
  unknown: "not open yet",
  signed_out: "signed out",
  unreachable: "unreachable",
  error: "error",
};

export function verdictOf(milestone: ApiMilestone | undefined): Verdict {
  if (milestone === undefined || milestone.progress === null) return { kind: "unknown" };
  const { done, required, met } = milestone.progress;
  return met ? { kind: "met", done, required } : { kind: "not_met", done, required };
}

/** What a failed call to an agent means for its verdict. */
export function verdictOfError(error: unknown): Verdict {
  if (error instanceof AgentUnreachableError) return { kind: "unreachable" };
  if (error instanceof ProblemError) {
    if (error.status === 401) return { kind: "signed_out" };
    if (error.status >= 500) return { kind: "unreachable" };
    return { kind: "error", message: error.message };
  }
  return { kind: "error", message: error instanceof Error ? error.message : String(error) };
}

/**
 * How many oracles say met, and whether that reaches the threshold. With `signers` (each verdict's agent's oracle
 * address, by position) and `oracles` (the vault's current set), only distinct current oracles count: an agent
 * whose oracle was removed, or a second agent for the same oracle, cannot make a milestone look claimable.
 */
export function summarizeVerdicts(
  verdicts: readonly Verdict[],
  threshold: number,
  against?: { signers: readonly (Address | undefined)[]; oracles: readonly Address[] },
) {
  let met: number;
  if (against === undefined) met = verdicts.filter((v) => v.kind === "met").length;
  else {
    const current = new Set(against.oracles.map((o) => o.toLowerCase()));
    const counted = new Set<string>();
    verdicts.forEach((v, i) => {
      const signer = against.signers[i]?.toLowerCase();
      if (v.kind === "met" && signer !== undefined && current.has(signer)) counted.add(signer);
    });
    met = counted.size;
  }
  return { met, of: verdicts.length, threshold, enough: met >= threshold };
}

export interface SignerSignature {
  signer: Address;
  signature: Hex;
}

/** One signature per signer (the first one seen), sorted by signer address ascending (the vault's order). */
export function sortSignatures<T extends SignerSignature>(items: readonly T[]): T[] {
  const bySigner = new Map<string, T>();
  for (const item of items) {
    const key = item.signer.toLowerCase();
    if (!bySigner.has(key)) bySigner.set(key, item);
  }
  return [...bySigner.values()].sort((a, b) => {
    const [x, y] = [BigInt(a.signer), BigInt(b.signer)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export interface Quorum {
  commitmentId: bigint;
  milestoneIndex: number;
  evidenceHash: Hex;
  validUntil: bigint;
  /** Exactly `threshold` attestations, sorted by signer. */
  attestations: Attestation[];
  /** `signatures` in the vault's order. */
  signatures: Hex[];
  /** The explicit evidence set the oracles signed, or undefined for the canonical one. */
  workouts?: Hex[];
}

/**
 * The largest group of attestations over the same (evidenceHash, validUntil) by distinct signers (current oracles
 * only, when `oracles` is given); undefined when no group reaches `threshold`.
 */
export function pickAgreeing(
  attestations: readonly Attestation[],
  threshold: number,
  oracles?: readonly Address[],
): Attestation[] | undefined {
  const current = oracles === undefined ? undefined : new Set(oracles.map((o) => o.toLowerCase()));
  const groups = new Map<string, Attestation[]>();
  for (const att of attestations) {
    if (current !== undefined && !current.has(att.signer.toLowerCase())) continue;
    const key = `${att.evidenceHash.toLowerCase()}:${att.validUntil}`;
    groups.set(key, [...(groups.get(key) ?? []), att]);
  }
  let best: Attestation[] | undefined;
  for (const group of groups.values()) {
    const distinct = sortSignatures(group);
    if (distinct.length >= threshold && (best === undefined || distinct.length > best.length))
      best = distinct;
  }
  return best?.slice(0, threshold);
}

export interface EvidenceWorkout {
  contentHash: Hex;
  startTime: string;
}

/** The accepted workouts an agent counts for this milestone. */
export function qualifyingWorkouts(
  workouts: readonly Workout[],
  id: bigint,
  index: number,
): EvidenceWorkout[] {
  const out: EvidenceWorkout[] = [];
  for (const w of workouts) {
    if (w.verdict.status !== "accepted" || w.contentHash === undefined) continue;
    if (!w.verdict.countsFor.some((c) => c.commitmentId === id.toString() && c.milestoneIndex === index))
      continue;
    out.push({ contentHash: w.contentHash, startTime: w.startTime });
  }
  return out;
}

/** Most oracle combinations tried when looking for a shared evidence set. */
export const MAX_COMBINATIONS = 5_000;

function* combinations(n: number, k: number): Generator<number[]> {
  const pick = Array.from({ length: k }, (_, i) => i);
  if (k > n || k <= 0) return;
  while (true) {
    yield [...pick];
    let i = k - 1;
    while (i >= 0 && pick[i] === n - k + i) i--;
    if (i < 0) return;
    pick[i] = (pick[i] ?? 0) + 1;
    for (let j = i + 1; j < k; j++) pick[j] = (pick[j - 1] ?? 0) + 1;
  }
}

/**
 * `threshold` of the candidates that share at least `required` workouts, and the earliest `required` of those
 * (by start time, then content hash: the same order as the oracles' canonical set). Undefined when none do.
 */
export function commonEvidence(
  candidates: readonly { workouts: readonly EvidenceWorkout[] }[],
  threshold: number,
  required: number,
): { members: number[]; workouts: Hex[] } | undefined {
  if (required < 1) return undefined;
  let tried = 0;
  for (const members of combinations(candidates.length, threshold)) {
    if (++tried > MAX_COMBINATIONS) return undefined;
    const [first, ...rest] = members.map((m) => candidates[m]?.workouts ?? []);
    const shared = (first ?? []).filter((w) =>
      rest.every((ws) => ws.some((x) => x.contentHash.toLowerCase() === w.contentHash.toLowerCase())),
    );
    if (shared.length < required) continue;
    const sorted = [...shared].sort((a, b) => {
      const t = Date.parse(a.startTime) - Date.parse(b.startTime);
      if (t !== 0) return t;
      const [x, y] = [a.contentHash.toLowerCase(), b.contentHash.toLowerCase()];
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return { members, workouts: sorted.slice(0, required).map((w) => w.contentHash) };
  }
  return undefined;
}

/** No quorum could be gathered; `outcomes` says what each oracle answered. */
export class QuorumError extends Error {
  readonly outcomes: readonly { label: string; outcome: string }[];
  constructor(message: string, outcomes: readonly { label: string; outcome: string }[]) {
    super(`${message} (${outcomes.map((o) => `${o.label}: ${o.outcome}`).join("; ")})`);
    this.name = "QuorumError";
    this.outcomes = outcomes;
  }
}

export interface QuorumDependencies {
  attest(agent: OracleAgent, id: bigint, index: number, workouts?: readonly Hex[]): Promise<Attestation>;
  /** How many workouts the rules require, and the agent's accepted workouts that count for the milestone. */
  evidence(
    agent: OracleAgent,
    id: bigint,
    index: number,
  ): Promise<{ required: number; workouts: EvidenceWorkout[] }>;
}

function outcomeOf(result: PromiseSettledResult<Attestation>): string {
  if (result.status === "fulfilled") return "signed";
  const v = verdictOfError(result.reason);
  return v.kind === "error" ? `refused (${v.message})` : VERDICT_LABEL[v.kind];
}

function quorumFrom(id: bigint, index: number, picked: Attestation[], workouts?: Hex[]): Quorum {
  const first = picked[0] as Attestation;
  return {
    commitmentId: id,
    milestoneIndex: index,
    evidenceHash: first.evidenceHash,
    validUntil: first.validUntil,
    attestations: picked,
    signatures: picked.map((a) => a.signature),
    ...(workouts === undefined ? {} : { workouts }),
  };
}

export async function gatherQuorum(parameters: {
  agents: readonly OracleAgent[];
  commitmentId: bigint;
  milestoneIndex: number;
  threshold: number;
  /** The vault's current oracles: signatures from anyone else are ignored. */
  oracles?: readonly Address[];
  /**
   * Whether an attestation's signature is really its `signer`'s over what the vault hashes (verifyAttestation.ts);
   * one that is not is dropped before it can count or displace a real signature by the same named signer.
   */
  verify?: (attestation: Attestation) => Promise<boolean>;
  deps: QuorumDependencies;
}): Promise<Quorum> {
  const { agents, commitmentId: id, milestoneIndex: index, threshold, oracles, verify, deps } = parameters;
  // An agent's answer only counts when it is for this milestone and its signature checks out.
  const genuine = async (attestation: Attestation): Promise<Attestation> => {
    if (attestation.commitmentId !== id || attestation.milestoneIndex !== BigInt(index))
      throw new Error(
        `signed commitment ${attestation.commitmentId} milestone ${Number(attestation.milestoneIndex) + 1} instead`,
      );
    if (verify !== undefined && !(await verify(attestation).catch(() => false)))
      throw new Error(`its signature is not ${attestation.signer}'s over this milestone`);
    return attestation;
  };
  const canonical = await Promise.allSettled(agents.map((a) => deps.attest(a, id, index).then(genuine)));
  const signed = canonical.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const agreed = pickAgreeing(signed, threshold, oracles);
  if (agreed !== undefined) return quorumFrom(id, index, agreed);

  const outcomes = canonical.map((r, i) => ({
    label: agents[i]?.label ?? `Oracle ${i + 1}`,
    outcome: outcomeOf(r),
  }));
  const willing = agents.filter((_, i) => canonical[i]?.status === "fulfilled");
  if (willing.length < threshold) {
    throw new QuorumError(
      `Milestone ${index + 1}: ${willing.length} of the ${threshold} oracle signatures the vault needs`,
      outcomes,
    );
  }
  // The willing oracles disagree on the set: find one `threshold` of them share, as large as the rules require.
  const seen = await Promise.allSettled(willing.map((a) => deps.evidence(a, id, index)));
  const candidates = willing.flatMap((agent, i) => {
    const r = seen[i];
    return r?.status === "fulfilled" ? [{ agent, ...r.value }] : [];
  });
  const required = Math.max(0, ...candidates.map((c) => c.required));
  const shared = commonEvidence(candidates, threshold, required);
  if (shared !== undefined) {
    const members = shared.members.map((m) => candidates[m]?.agent as OracleAgent);
    const explicit = await Promise.allSettled(
      members.map((a) => deps.attest(a, id, index, shared.workouts).then(genuine)),
    );
    const picked = pickAgreeing(
      explicit.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
      threshold,
      oracles,
    );
    if (picked !== undefined) return quorumFrom(id, index, picked, shared.workouts);
  }
  throw new QuorumError(
    `Milestone ${index + 1}: the oracles that say met saw different workouts, and no ${threshold} of them share enough to sign one set`,
    outcomes,
  );
}
