/**
 * The Challenges screens' logic as plain functions (tested in challengeLogic.test.ts): standing and phase labels,
 * the pot split exactly as the pool computes it (`ChallengeMath.split`), the rules in words, the create-challenge
 * form (the commitment form's fields plus the pool's own), and the join flow's steps and state machine.
 */
import { type Address, getAddress, type Hex, isAddress, zeroAddress } from "viem";
import type { ApiParticipant, ChallengePhase, Standing } from "../api/challengesClient.ts";
import type { DeployedToken } from "../chain/deployments.ts";
import {
  type FlowEvent,
  type FlowState,
  type FlowStep,
  type StepStatus,
  stepFlowReducer,
} from "../chain/stepFlow.ts";
import {
  type FormErrors as CommitmentFormErrors,
  type CommitmentFormValues,
  type ValidCommitment,
  validateCommitment,
} from "../commitment/commitmentForm.ts";
import type { RulesDocument } from "../rules/rulesHash.ts";

export const STANDING_LABEL: Record<Standing, string> = {
  on_track: "On track",
  behind: "Behind",
  finished: "Finished",
  out: "Out",
};

export const STANDING_HINT: Record<Standing, string> = {
  on_track: "every window so far is claimed",
  behind: "a window ended unclaimed: claim it (or appeal) before its deadline to stay in",
  finished: "every milestone released: shares the pot",
  out: "a milestone was slashed or refunded: the stake's lost shares went to the pot",
};

export const PHASE_LABEL: Record<ChallengePhase, string> = {
  open: "Open to join",
  running: "Running",
  settling: "Settling",
  closed: "Closed",
};

const BPS = 10_000n;

/** The pool's split: each finisher's winnings and what goes to the fee recipient (fee + dust), or the whole pot to the fallback beneficiary when nobody finished. */
export function splitPot(
  pot: bigint,
  feeBps: number,
  finishers: number,
): { winningsEach: bigint; remainder: bigint } {
  if (finishers <= 0) return { winningsEach: 0n, remainder: pot };
  const winningsEach = (pot * (BPS - BigInt(feeBps))) / BPS / BigInt(finishers);
  return { winningsEach, remainder: pot - winningsEach * BigInt(finishers) };
}

export function seatsLeft(c: { maxParticipants: number; participantCount: number }): number {
  return Math.max(0, c.maxParticipants - c.participantCount);
}

/** "2.5 %" for 250 basis points. */
export function formatFee(feeBps: number): string {
  return `${(feeBps / 100).toLocaleString("en-GB", { maximumFractionDigits: 2 })} %`;
}

const SPORT_WORDS: Record<string, string> = {
  run: "running",
  ride: "cycling",
  walk: "walking",
  swim: "swimming",
  strength: "strength",
  row: "rowing",
  other: "other",
};

/** "running or cycling", "any of running, walking or swimming". */
export function sportsInWords(activities: readonly string[]): string {
  const words = activities.map((a) => SPORT_WORDS[a] ?? a);
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** "3 workouts of at least 30 min per window (device data)". */
export function workoutsInWords(rules: RulesDocument): string {
  const { minWorkouts, minMinutes } = rules.perMilestone;
  const what = `${minWorkouts} workout${minWorkouts === 1 ? "" : "s"}`;
  const length = minMinutes > 0 ? ` of at least ${minMinutes} min` : "";
  return `${what}${length} per window (${rules.evidence === "device" ? "device data" : "manual logs count"})`;
}

export interface MyStandingParameters {
  you: ApiParticipant | null;
  /** The caller's winnings still to claim, read from the pool (`winningsOf`). */
  claimable: bigint;
  settledCount: number;
  participantCount: number;
}

export type MyStanding =
  | { kind: "not_joined" }
  | { kind: "in"; standing: Standing }
  | { kind: "claimable"; amount: bigint }
  | { kind: "waiting_for_others"; settled: number; of: number }
  | { kind: "claimed" }
  | { kind: "out" };

/** What the caller's seat means now, and whether "Claim winnings" applies. */
export function myStanding({
  you,
  claimable,
  settledCount,
  participantCount,
}: MyStandingParameters): MyStanding {
  if (you === null) return { kind: "not_joined" };
  if (you.status === "claimed") return { kind: "claimed" };
  if (you.status === "out") return { kind: "out" };
  if (you.status === "finished") {
    if (claimable > 0n) return { kind: "claimable", amount: claimable };
    if (settledCount < participantCount) {
      return { kind: "waiting_for_others", settled: settledCount, of: participantCount };
    }
    return { kind: "in", standing: "finished" };
  }
  return { kind: "in", standing: you.standing };
}

// --- Create a challenge --------------------------------------------------------------------------------------

export interface ChallengeFormValues extends CommitmentFormValues {
  /** `<input type="datetime-local">`: when joining closes (at or before the start). */
  joinDeadline: string;
  maxParticipants: string;
  /** Percent of the pot of slashed shares, e.g. "2.5" (at most 10). */
  feePercent: string;
  feeRecipient: string;
}

export type ChallengeFormErrors = Partial<Record<keyof ChallengeFormValues, string>>;

export interface ValidChallenge extends Omit<ValidCommitment, "beneficiary" | "amount"> {
  stake: bigint;
  joinDeadline: number;
  maxParticipants: number;
  feeBps: number;
  feeRecipient: Address;
  fallbackBeneficiary: Address;
}

export type ValidateChallengeReturnType =
  | { ok: true; value: ValidChallenge }
  | { ok: false; errors: ChallengeFormErrors };

export const MAX_PARTICIPANTS = 10_000;
export const MAX_FEE_BPS = 1_000;

/**
 * Validates the create-challenge form: the commitment form's rules, stake and schedule (the `beneficiary` field
 * is the fallback beneficiary, who receives the pot when nobody finishes), plus the join deadline, capacity and
 * fee the pool checks. One message per wrong field.
 */
export function validateChallenge({
  values,
  tokens,
  pool,
  chainNow,
}: {
  values: ChallengeFormValues;
  tokens: readonly DeployedToken[];
  pool: Address;
  chainNow: number;
}): ValidateChallengeReturnType {
  const base = validateCommitment({
    values,
    tokens,
    owner: undefined,
    vault: pool,
    chainNow,
    balance: undefined,
  });
  const errors: ChallengeFormErrors = base.ok ? {} : { ...(base.errors as CommitmentFormErrors) };
  if (errors.beneficiary === "The vault cannot be the beneficiary.") {
    errors.beneficiary = "The pool cannot be its own fallback beneficiary.";
  }

  const startMs = Date.parse(values.start);
  const deadlineMs = Date.parse(values.joinDeadline);
  const joinDeadline = Number.isNaN(deadlineMs) ? undefined : Math.floor(deadlineMs / 1000);
  if (joinDeadline === undefined) errors.joinDeadline = "Choose when joining closes.";
  else if (joinDeadline <= chainNow + 30) errors.joinDeadline = "Joining must close in the future.";
  else if (!Number.isNaN(startMs) && joinDeadline > Math.floor(startMs / 1000)) {
    errors.joinDeadline = "Joining must close at or before the start.";
  }

  const max = /^\d{1,6}$/.test(values.maxParticipants.trim()) ? Number(values.maxParticipants.trim()) : NaN;
  if (!(max >= 2 && max <= MAX_PARTICIPANTS)) {
    errors.maxParticipants = `Allow 2 to ${MAX_PARTICIPANTS.toLocaleString("en-GB")} participants.`;
  }

  const feeText = values.feePercent.trim();
  const feeBps = /^\d{1,2}(\.\d{1,2})?$/.test(feeText) ? Math.round(Number(feeText) * 100) : NaN;
  if (!(feeBps >= 0 && feeBps <= MAX_FEE_BPS)) {
    errors.feePercent = "The fee is 0 to 10 % (at most two decimals), taken from the pot only.";
  }

  const f = values.feeRecipient.trim();
  if (!isAddress(f, { strict: false })) errors.feeRecipient = "Enter a 0x address (42 characters).";
  else if (getAddress(f) === zeroAddress)
    errors.feeRecipient = "The fee recipient cannot be the zero address.";
  else if (getAddress(f) === getAddress(pool)) errors.feeRecipient = "The pool cannot receive its own fee.";

  if (!base.ok || Object.keys(errors).length > 0 || joinDeadline === undefined) return { ok: false, errors };
  const { amount, beneficiary, ...rest } = base.value;
  return {
    ok: true,
    value: {
      ...rest,
      stake: amount,
      joinDeadline,
      maxParticipants: max,
      feeBps,
      feeRecipient: getAddress(f),
      fallbackBeneficiary: beneficiary,
    },
  };
}

/** The pool's `ChallengeParams` for a valid form and the rules' hash. */
export function challengeParams(c: ValidChallenge, rulesHash: Hex) {
  return {
    token: c.token,
    stake: c.stake,
    start: BigInt(c.start),
    period: c.period,
    milestones: c.milestones,
    grace: c.grace,
    rulesHash,
    joinDeadline: BigInt(c.joinDeadline),
    maxParticipants: c.maxParticipants,
    feeBps: c.feeBps,
    feeRecipient: c.feeRecipient,
    fallbackBeneficiary: c.fallbackBeneficiary,
  } as const;
}

/**
 * The pool takes ITS token and stake, whatever the page showed (which comes from the agent): a join goes ahead
 * only when they are the same, so an out-of-date or wrong agent answer cannot make someone pay another amount
 * than the one on the button (an existing allowance would let the pool pull a larger stake without a prompt).
 */
export function checkJoinTarget(
  onChain: { token: Address; stake: bigint },
  shown: { token: Address; stake: bigint },
): void {
  if (onChain.token.toLowerCase() !== shown.token.toLowerCase())
    throw new Error(
      "The pool's token for this challenge is not the one shown: reload the page before joining.",
    );
  if (onChain.stake !== shown.stake)
    throw new Error(
      "The pool's stake for this challenge is not the one shown: reload the page before joining.",
    );
}

// --- Join: steps and state machine (chain/stepFlow.ts) -------------------------------------------------------

export type JoinStepId = "permit" | "approve" | "join" | "confirm";
export type JoinStepStatus = StepStatus;
export type JoinStep = FlowStep<JoinStepId>;

export type JoinMethod = "eth" | "permit" | "approve";

/** ETH: the stake as the call's value; a permit token: one signature; any other token: approve, then join. */
export function joinMethod(token: Address, tokenInfo: DeployedToken | undefined): JoinMethod {
  if (token === zeroAddress) return "eth";
  return tokenInfo?.permit ? "permit" : "approve";
}

export function plannedJoinSteps(method: JoinMethod, symbol: string): JoinStep[] {
  const steps: JoinStep[] = [];
  if (method === "permit") {
    steps.push({
      id: "permit",
      label: `Sign a permit for ${symbol} (one signature, no transaction)`,
      status: "todo",
    });
  } else if (method === "approve") {
    steps.push({ id: "approve", label: `Approve ${symbol} for the challenge pool`, status: "todo" });
  }
  steps.push(
    { id: "join", label: "Join in your wallet", status: "todo" },
    { id: "confirm", label: "Wait for the transaction to be confirmed", status: "todo" },
  );
  return steps;
}

export type JoinState = FlowState<JoinStepId>;
export type JoinEvent = FlowEvent<JoinStepId>;

/** The join flow's state machine: the app's step flow (see `stepFlowReducer`) over the join steps. */
export const joinReducer: (state: JoinState, event: JoinEvent) => JoinState = stepFlowReducer;

/** `#/challenges/12` → 12n; the list (`#/challenges`) or anything else → undefined. */
export function challengeIdOfHash(hash: string): bigint | undefined {
  const match = /^#?\/challenges\/([1-9]\d{0,76})$/.exec(hash);
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
}

/** "0x1234…cdef". */
export function shortAddress(a: Address): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}
