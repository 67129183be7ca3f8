/**
 * The oracle's decision for one milestone: check it can be claimed, choose the evidence set, then sign the EIP-712
 * `MilestoneAttestation` and keep it as this oracle's latest for the milestone (`attestations.put`). Asking again
 * for the same set returns the same signature (ECDSA over the same digest is deterministic); a different set is
 * signed too (PRODUCT.md v2: several sets per milestone are allowed), each new one audit-logged.
 *
 * Refusals, in order: unknown commitment 404 `commitment_not_found`; someone else's 403 `not_owner`; index past
 * the last milestone 400; milestone neither `Open` nor `Appealed` 409 `milestone_settled`; window not opened 409
 * `window_not_open`; an appeal past its earliest expiry 409 `appeal_period_over`; claim deadline passed (`Open`)
 * 409 `claim_deadline_passed`; rules document unknown 409 `rules_unknown`; requirement not
 * met 409 `requirement_not_met` (details: done, required, missing, and the near misses with their reasons); an
 * asked-for set that does not hold 409 `evidence_workout_not_qualifying` / `evidence_set_too_small`
 * (chooseEvidenceSet.ts); no oracle key 503 `oracle_not_configured`.
 *
 * The evidence hash covers the content hashes of the chosen set (`chooseEvidenceSet`: without `workouts`, the
 * earliest qualifying workouts, exactly as many as the rules require); `validUntil` is the claim
 * deadline (pause-aware with a `VaultReader`) minus one second, the last second the vault accepts a claim.
 *
 * An `Appealed` milestone (v2) is not settled: the vault still accepts a claim for it after the deadline (a late
 * quorum settles the appeal: share and bond to the owner), so it is attested like an `Open` one without the
 * deadline check. Its `validUntil` is the appeal's earliest expiry (`appealedAt + APPEAL_PERIOD`), the same for
 * every oracle so their signatures form a quorum; once that has passed the answer is 409 `appeal_period_over`
 * (anyone may `expireAppeal`, which gives the owner share and bond back as a claim would).
 */
import type { Address, Hex } from "viem";
import { evidenceHash, signMilestoneAttestation } from "../attestation/milestoneAttestation.ts";
import type { AttestationSigner } from "../attestation/signer.ts";
import type { VaultReader } from "../chain/ports.ts";
import { ConflictError, DependencyError, OutOfRangeError } from "../errors.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import { chooseEvidenceSet } from "./chooseEvidenceSet.ts";
import { claimDeadlinesOf } from "./claimDeadlines.ts";
import { createRulesLookup } from "./commitmentRules.ts";
import { findOwnedCommitment } from "./findOwnedCommitment.ts";
import { type MilestoneProgress, milestoneProgressOf } from "./milestoneProgress.ts";
import { appealEarliestExpiryOf, milestoneStateOf, milestoneWindowOf } from "./milestoneSchedule.ts";
import { type ChainTarget, commitmentSubject, type ServiceContext } from "./serviceContext.ts";
import { isoTime } from "./workoutView.ts";

/** Most near misses named in a `requirement_not_met` answer. */
export const NEAR_MISSES_MAX = 20;

export interface AttestationView {
  /** Decimal uint256. */
  commitmentId: string;
  milestoneIndex: number;
  evidenceHash: Hex;
  /** Unix seconds: the signed `uint64 validUntil`. */
  validUntil: number;
  signer: Address;
  signature: Hex;
}

export interface IssueAttestationParameters {
  owner: string;
  commitmentId: bigint;
  milestoneIndex: number;
  signer?: AttestationSigner | undefined;
  reader?: VaultReader | undefined;
  /** The evidence set asked for (workout content hashes); undefined → the canonical set. */
  workouts?: readonly Hex[] | undefined;
}

export interface IssueAttestationReturnType {
  attestation: AttestationView;
  /** False when this oracle had already signed this evidence set (the stored attestation is returned). */
  created: boolean;
  commitment: CommitmentRecord;
}

function requirementNotMet(commitmentId: bigint, index: number, progress: MilestoneProgress): ConflictError {
  const missing = progress.required - progress.done;
  const misses = progress.nearMisses.slice(0, NEAR_MISSES_MAX);
  const codes = [...new Set(progress.nearMisses.flatMap((m) => m.reasons.map((r) => r.code)))];
  const nearMissText =
    progress.nearMisses.length === 0
      ? ""
      : ` ${progress.nearMisses.length} more workout${progress.nearMisses.length === 1 ? "" : "s"} in the window ${
          progress.nearMisses.length === 1 ? "does" : "do"
        } not count (${codes.join(", ")}).`;
  return new ConflictError({
    code: "requirement_not_met",
    message: `${progress.done} of ${progress.required} qualifying workouts in milestone ${index + 1}'s window: ${missing} more needed.${nearMissText}`,
    details: {
      commitmentId: commitmentId.toString(),
      milestoneIndex: index,
      done: progress.done,
      required: progress.required,
      missing,
      workouts: progress.qualifying.map((w) => w.id),
      nearMisses: misses.map(({ workout, reasons }) => ({
        workoutId: workout.id,
        sport: workout.sport,
        startTime: isoTime(workout.startTime.getTime()),
        durationSec: workout.durationSec,
        reasons: reasons.map((r) => ({ code: r.code, message: r.message })),
      })),
    },
  });
}

export async function issueAttestation(
  context: ServiceContext & { chain: ChainTarget },
  { owner, commitmentId, milestoneIndex: index, signer, reader, workouts }: IssueAttestationParameters,
): Promise<IssueAttestationReturnType> {
  const { store, clock, chain } = context;
  const commitment = await findOwnedCommitment(context, { owner, commitmentId, reader });
  const id = commitmentId.toString();
  if (index >= commitment.milestones) {
    throw new OutOfRangeError({
      code: "invalid_request",
      message: `params.index: must be below ${commitment.milestones} (the number of milestones)`,
      details: { field: "params.index", milestones: commitment.milestones },
    });
  }
  const state = milestoneStateOf(commitment, index);
  const appealed = state === "Appealed";
  if (state !== "Open" && !appealed) {
    throw new ConflictError({
      code: "milestone_settled",
      message: `Milestone ${index} of commitment ${id} is already settled (${state}).`,
      details: { commitmentId: id, milestoneIndex: index, state },
    });
  }
  const now = clock.now();
  const window = milestoneWindowOf(commitment, index);
  if (now < window.startMs) {
    throw new ConflictError({
      code: "window_not_open",
      message: `Milestone ${index}'s window opens on ${isoTime(window.startMs)}.`,
      details: { commitmentId: id, milestoneIndex: index, windowStart: isoTime(window.startMs) },
    });
  }
  const deadlines = await claimDeadlinesOf({
    commitment,
    indices: [index],
    reader,
    fallback: false,
    logger: context.logger,
  });
  const deadline = deadlines.get(index) ?? 0;
  const appealedAt = commitment.appeals.find((appeal) => appeal.index === index)?.appealedAt;
  // Every oracle signs the same validUntil for an appeal: its earliest expiry (else, unknown, a period from now).
  const appealValidUntil = appealEarliestExpiryOf(appealedAt ?? Math.floor(now / 1000));
  if (appealed && now > appealValidUntil * 1000) {
    throw new ConflictError({
      code: "appeal_period_over",
      message: `The appeal of milestone ${index} can be expired since ${isoTime(appealValidUntil * 1000)}: expireAppeal returns the share and the bond to the owner.`,
      details: { commitmentId: id, milestoneIndex: index, expiresAt: isoTime(appealValidUntil * 1000) },
    });
  }
  if (!appealed && now >= deadline * 1000) {
    throw new ConflictError({
      code: "claim_deadline_passed",
      message: `Milestone ${index} could be claimed until ${isoTime(deadline * 1000)}.`,
      details: { commitmentId: id, milestoneIndex: index, claimDeadline: isoTime(deadline * 1000) },
    });
  }
  const rules = await createRulesLookup({ repositories: store })(commitment.rulesHash);
  if (rules === null) {
    throw new ConflictError({
      code: "rules_unknown",
      message:
        "The agent does not know the rules behind this commitment's rulesHash: POST the rules document to /api/rules.",
      details: { commitmentId: id, rulesHash: commitment.rulesHash },
    });
  }

  const key = { chainId: chain.chainId, vault: chain.vault, commitmentId, milestoneIndex: index };
  const progress = (
    await milestoneProgressOf({ repositories: store, owner, commitment, rules, indices: [index] })
  ).get(index);
  if (progress === undefined) throw new Error("unreachable: the progress of the milestone asked for");
  if (!progress.met) throw requirementNotMet(commitmentId, index, progress);
  const evidence = chooseEvidenceSet({ progress, workouts });
  if (signer === undefined) {
    throw new DependencyError({
      code: "oracle_not_configured",
      message: "This agent has no oracle key, so it cannot sign attestations.",
    });
  }

  const validUntil = appealed ? appealValidUntil : deadline - 1;
  const signed = await signMilestoneAttestation(signer, {
    chainId: chain.chainId,
    vault: chain.vault,
    commitmentId,
    milestoneIndex: BigInt(index),
    rulesHash: commitment.rulesHash,
    evidenceHash: evidenceHash(evidence.map((w) => w.contentHash)),
    validUntil: BigInt(validUntil),
  });
  const { attestation, created } = await store.attestations.put({
    ...key,
    signer: signed.signer,
    evidenceHash: signed.evidenceHash,
    validUntil,
    signature: signed.signature,
  });
  if (created) {
    context.metrics.attestationsIssued.inc();
    await store.auditLog.append({
      actor: "oracle",
      action: "attestation.signed",
      subject: commitmentSubject(chain, commitmentId),
      details: {
        owner: commitment.owner,
        milestoneIndex: index,
        evidenceHash: attestation.evidenceHash,
        validUntil: attestation.validUntil,
        signer: attestation.signer,
        workouts: evidence.map((w) => w.id),
        contentHashes: evidence.map((w) => w.contentHash),
        set: workouts === undefined ? "canonical" : "asked",
      },
    });
    context.logger.info(
      { commitmentId: id, milestoneIndex: index, signer: attestation.signer },
      "milestone attestation signed",
    );
  }
  return { attestation: viewOf(attestation), created, commitment };
}

function viewOf(record: {
  commitmentId: bigint;
  milestoneIndex: number;
  evidenceHash: Hex;
  validUntil: number;
  signer: Address;
  signature: Hex;
}): AttestationView {
  return {
    commitmentId: record.commitmentId.toString(),
    milestoneIndex: record.milestoneIndex,
    evidenceHash: record.evidenceHash,
    validUntil: record.validUntil,
    signer: record.signer,
    signature: record.signature,
  };
}
