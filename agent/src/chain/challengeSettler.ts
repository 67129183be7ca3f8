/**
 * The keeper's ChallengePool pass: calls `settleParticipant` for participants the pool still counts as joined
 * once every milestone of their vault commitment is settled (Released, Slashed or Refunded in the indexer's
 * cache), so the finishers can claim their winnings without anyone settling by hand.
 *
 * A run (single-flight across replicas through the `Lock`): scan the cache in bounded pages for such
 * participants, at most `maxPerRun`; each is simulated first (a participant the chain does not accept yet, e.g.
 * an appeal still pending, is skipped) and sent in its own transaction. A `chain_transactions` row of kind
 * `settle` (vault = the pool, commitment id = the participant's, milestone 0) is inserted before sending, so two
 * keepers never send the same settlement; a failed or reverted one is taken over again on a later run, and
 * `resumePending` (at startup) follows the ones a crash left pending.
 */
import { type Address, encodeFunctionData, type Hex } from "viem";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import { ConflictError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ParticipantRecord } from "../store/challengesRepository.ts";
import type { Store } from "../store/store.ts";
import { createLeasedTask } from "./leasedTask.ts";
import { withLease } from "./lock.ts";
import { claimRow, noneResumed, pendingRows, type SettlementServiceParameters } from "./settlementRows.ts";
import type { Sleep } from "./sleep.ts";
import type { ResumePendingResult } from "./transactionTypes.ts";

/** `vault` holds the participants' commitments. */
export interface CreateChallengeSettlerParameters extends SettlementServiceParameters {
  pool: Address;
  /** Settlements per run. Default 20. */
  maxPerRun?: number;
  /** Participants per scan page. Default 200. */
  scanPageSize?: number;
  /** Most scan pages per run. Default 10. */
  maxScanPages?: number;
  /** The run lease, renewed while the run lasts (`withLease`). Default 30 s. */
  lockTtlMs?: number;
  sleep?: Sleep;
}

export interface ChallengeSettlerRunResult {
  skipped: "locked" | null;
  /** Participants found with every milestone settled. */
  due: number;
  /** Settlements mined successfully. */
  settled: number;
  /** Not sent: the chain refuses it for now (decoded reason), or another sender has it (`taken`). */
  dropped: { challengeId: bigint; participant: Address; reason: string }[];
  /** Sent but not confirmed (reverted, failed or still pending). */
  unconfirmed: number;
  transactions: Hex[];
}

export interface ChallengeSettler {
  runOnce(): Promise<ChallengeSettlerRunResult>;
  /**
   * At startup: follows `settle` transactions left pending by a crash or a timeout (rebroadcast, bump, or mark
   * failed when nothing was signed, so a later run takes the participant over again). Under the lease.
   */
  resumePending(): Promise<ResumePendingResult>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

const SETTLED_STATES: ReadonlySet<string> = new Set(["Released", "Slashed", "Refunded"]);

/** What the settler's steps share. */
interface SettlerContext {
  chainId: number;
  vault: Address;
  pool: Address;
  sender: CreateChallengeSettlerParameters["sender"];
  store: Store;
  log: Logger;
  maxPerRun: number;
  scanPageSize: number;
  maxScanPages: number;
}

export function createChallengeSettler(parameters: CreateChallengeSettlerParameters): ChallengeSettler {
  const { chainId, vault, pool, sender, store, lock, logger, sleep } = parameters;
  const { maxPerRun = 20, scanPageSize = 200, maxScanPages = 10, lockTtlMs = 30_000 } = parameters;
  const log = logger.child({ component: "challenge-settler", chainId, pool });
  const s: SettlerContext = {
    chainId,
    vault,
    pool,
    sender,
    store,
    log,
    maxPerRun,
    scanPageSize,
    maxScanPages,
  };
  const lease = { lock, name: `challenge-settler:${chainId}:${pool.toLowerCase()}`, ttlMs: lockTtlMs, log };
  const task = createLeasedTask({
    name: "challenge-settler",
    lease,
    work: () => settleDue(s),
    skipped: (): ChallengeSettlerRunResult => ({ ...emptyRun(), skipped: "locked" }),
    sleep,
  });
  return {
    runOnce: task.runOnce,
    resumePending: () => withLease(lease, () => resumeSettlements(s), noneResumed),
    start: task.start,
    stop: task.stop,
  };
}

const emptyRun = (): ChallengeSettlerRunResult => ({
  skipped: null,
  due: 0,
  settled: 0,
  dropped: [],
  unconfirmed: 0,
  transactions: [],
});

/** Joined participants whose every milestone is settled in the cache, at most `maxPerRun`. */
async function scan(s: SettlerContext): Promise<ParticipantRecord[]> {
  const { store, chainId, vault, pool } = s;
  const due: ParticipantRecord[] = [];
  let after: { challengeId: bigint; participant: string } | undefined;
  for (let page = 0; page < s.maxScanPages && due.length < s.maxPerRun; page++) {
    const rows = await store.challenges.listJoined({
      chainId,
      pool,
      limit: s.scanPageSize,
      ...(after !== undefined ? { after } : {}),
    });
    const last = rows.at(-1);
    if (last === undefined) break;
    after = { challengeId: last.challengeId, participant: last.participant };
    for (const row of rows) {
      const commitment = await store.commitments.get({ chainId, vault, commitmentId: row.commitmentId });
      if (commitment === null) continue;
      if (!commitment.milestoneStates.every((state) => SETTLED_STATES.has(state))) continue;
      due.push(row);
      if (due.length >= s.maxPerRun) break;
    }
    if (rows.length < s.scanPageSize) break;
  }
  return due;
}

async function settleDue(s: SettlerContext): Promise<ChallengeSettlerRunResult> {
  const result = emptyRun();
  const due = await scan(s);
  result.due = due.length;
  for (const participant of due) await settleOne(s, participant, result);
  return result;
}

/** Simulates, claims the participant's `settle` row and sends; the outcome goes into `result`. */
async function settleOne(
  s: SettlerContext,
  participant: ParticipantRecord,
  result: ChallengeSettlerRunResult,
) {
  const drop = (reason: string) =>
    result.dropped.push({
      challengeId: participant.challengeId,
      participant: participant.participant,
      reason,
    });
  const request = {
    to: s.pool,
    data: encodeFunctionData({
      abi: challengePoolAbi,
      functionName: "settleParticipant",
      args: [participant.challengeId, participant.participant],
    }),
    operation: "settleParticipant",
  };
  try {
    await s.sender.simulate(request);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    drop((error as { errorName?: string }).errorName ?? error.code);
    return;
  }
  const key = {
    chainId: s.chainId,
    vault: s.pool,
    kind: "settle" as const,
    commitmentId: participant.commitmentId,
    milestoneIndex: 0,
  };
  const { row } = await claimRow(s.store.chainTransactions, key, {
    fromAddress: s.sender.address,
    details: { challengeId: participant.challengeId.toString(), participant: participant.participant },
  });
  if (row === null) {
    drop("taken");
    return;
  }
  const outcome = await s.sender.send({ ...request, rowIds: [row.id] });
  if (outcome.txHash !== null) result.transactions.push(outcome.txHash);
  if (outcome.status === "confirmed") result.settled++;
  else result.unconfirmed++;
  s.log.info(
    {
      challengeId: participant.challengeId.toString(),
      participant: participant.participant,
      status: outcome.status,
      txHash: outcome.txHash,
    },
    "participant settlement sent",
  );
}

async function resumeSettlements(s: SettlerContext): Promise<ResumePendingResult> {
  const summary = noneResumed();
  const rows = await pendingRows(s.store, { chainId: s.chainId, vault: s.pool }, "settle");
  for (const row of rows) {
    const outcome = await s.sender.resume([row]);
    summary.checked++;
    summary[outcome.status]++;
  }
  return summary;
}
