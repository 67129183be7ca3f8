/**
 * `deployNudge` for a batch of nudges (the scheduler's pass, issue 18), deciding exactly what calling it once
 * per nudge in the same order decides, with a constant number of statements per batch instead of about eight
 * per nudge:
 * - the checks before any write (`prepareNudge`) and the pre-check for a nudge already sent
 *   (`store.nudges.find`, which the pass answers from its page read) run per nudge, in memory;
 * - one transaction per batch takes every owner's nudge lock (ascending), reads the nudges already stored
 *   under the batch's keys and the rows the daily caps count, decides each nudge in order — already sent,
 *   capped (counting the nudges this batch reserves before it, as the one-at-a-time calls would), or
 *   reserved — and reserves them in one multi-row insert;
 * - a group reserves at most `NUDGE_BATCH_SIZE` nudges, of which at most `NUDGE_SLOW_GROUP_SIZE` slow ones
 *   (webhook, email), and is delivered before the next group is reserved: its in-app nudges at once, their
 *   outcomes recorded in one update right after the reservation (visible in the feed without waiting for slow
 *   channels), then each slow nudge with its outcome recorded right after it. A crash leaves at most one
 *   group's slow nudges `pending`.
 * - the caller's time budget (`expired`) is asked before each group and each slow delivery; once out of time,
 *   the group's undelivered reservations are deleted (`coachPass.releaseNudges`) and the nudges left are
 *   `deferred`, so a later pass decides them again.
 * A group whose transaction fails wrote nothing; its nudges are then sent one at a time by `deployNudge`.
 * Each result is the nudge's `DeployNudgeReturnType`, the error that nudge's own `deployNudge` would have
 * thrown, or `deferred`.
 */
import type { ReservedNudge } from "../../store/coachPassQueries.ts";
import type { Repositories } from "../../store/store.ts";
import type { DeliveryResult } from "../channels/nudgeChannel.ts";
import {
  cappedNudge,
  type DeployNudgeParameters,
  type DeployNudgeReturnType,
  deliveredNudge,
  deliverReserved,
  deployNudge,
  type NudgeDependencies,
  outcomeOf,
  type PreparedNudge,
  prepareNudge,
} from "./deployNudge.ts";

/** Most nudges one transaction reserves. */
export const NUDGE_BATCH_SIZE = 500;
/** Most slow nudges (any channel but in-app) one transaction reserves: the reservations waiting on slow channels. */
export const NUDGE_SLOW_GROUP_SIZE = 10;

/**
 * A nudge's result: what its `deployNudge` returns, the error it throws, or `deferred` when the time budget ran
 * out before it was sent (nothing of it is stored; a later pass decides it again).
 */
export type BatchNudgeResult =
  | { ok: true; result: DeployNudgeReturnType }
  | { ok: false; error: unknown }
  | { ok: false; deferred: true };

const DEFERRED: BatchNudgeResult = { ok: false, deferred: true };

/** Slow: a delivery that leaves the process (webhook, email); in-app delivery only confirms the stored row. */
const isSlow = (nudge: PreparedNudge) => nudge.channel !== "inApp";

type Decision =
  | { kind: "duplicate"; id: string }
  | { kind: "capped" }
  | { kind: "reserved"; nudge: ReservedNudge };

const keyOf = (owner: string, channel: string, dedupeKey: string) =>
  `${owner.toLowerCase()}|${channel}|${dedupeKey}`;

/** Distinct keys the cap counts for `nudge`'s owner on its local day, as `interventionKeysBetween` lists them. */
function keysOfDay(rows: readonly { dedupeKey: string; createdAt: Date }[], nudge: PreparedNudge): string[] {
  const keys = new Set<string>();
  for (const row of rows) {
    if (row.createdAt >= nudge.dayStart && row.createdAt < nudge.dayEnd) keys.add(row.dedupeKey);
  }
  return [...keys].sort().slice(0, 100);
}

/** The batch's transaction: locks, reads, decides in order, reserves (see the module comment). */
async function reserveBatch(tx: Repositories, batch: readonly PreparedNudge[]): Promise<Decision[]> {
  const owners = [...new Set(batch.map((nudge) => nudge.owner.toLowerCase()))];
  await tx.coachPass.lockNudgeOwners(owners);
  const stored = new Map<string, string>();
  for (const row of await tx.coachPass.findNudges(batch)) {
    stored.set(keyOf(row.owner, row.channel, row.dedupeKey), row.id);
  }
  const from = new Date(Math.min(...batch.map((nudge) => nudge.dayStart.getTime())));
  const to = new Date(Math.max(...batch.map((nudge) => nudge.dayEnd.getTime())));
  const counted = new Map<string, { dedupeKey: string; createdAt: Date }[]>();
  for (const owner of owners) counted.set(owner, []);
  for (const row of await tx.coachPass.interventionsBetween(owners, from, to)) {
    counted.get(row.owner.toLowerCase())?.push(row);
  }
  const decisions: (Decision | { kind: "reserve"; key: string })[] = [];
  const reserving = new Set<string>();
  for (const nudge of batch) {
    const key = keyOf(nudge.owner, nudge.channel, nudge.dedupeKey);
    const id = stored.get(key);
    if (id !== undefined || reserving.has(key)) {
      decisions.push(id !== undefined ? { kind: "duplicate", id } : { kind: "reserve", key });
      continue;
    }
    const rows = counted.get(nudge.owner.toLowerCase()) ?? [];
    const keys = keysOfDay(rows, nudge);
    if (!keys.includes(nudge.dedupeKey) && keys.length >= nudge.preferences.dailyCap) {
      decisions.push({ kind: "capped" });
      continue;
    }
    reserving.add(key);
    rows.push({ dedupeKey: nudge.dedupeKey, createdAt: new Date(nudge.now) });
    decisions.push({ kind: "reserve", key });
  }
  const toReserve = batch.filter((nudge) =>
    reserving.has(keyOf(nudge.owner, nudge.channel, nudge.dedupeKey)),
  );
  const unique = [...new Map(toReserve.map((n) => [keyOf(n.owner, n.channel, n.dedupeKey), n])).values()];
  const reserved = new Map<string, ReservedNudge>();
  for (const row of await tx.coachPass.reserveNudges(
    unique.map((nudge) => ({
      owner: nudge.owner,
      channel: nudge.channel,
      dedupeKey: nudge.dedupeKey,
      reason: nudge.reason,
      message: nudge.message,
      status: "pending" as const,
      dueAt: new Date(nudge.now),
    })),
  )) {
    reserved.set(keyOf(row.owner, row.channel, row.dedupeKey), row);
  }
  // A key reserved meanwhile by a writer that does not take the owner's lock: a duplicate, as in deployNudge.
  const lost = unique.filter((nudge) => !reserved.has(keyOf(nudge.owner, nudge.channel, nudge.dedupeKey)));
  const winners = new Map<string, string>();
  for (const row of await tx.coachPass.findNudges(lost))
    winners.set(keyOf(row.owner, row.channel, row.dedupeKey), row.id);
  // The first of a key reserves it; a repeat of the key in the same batch is its duplicate.
  const first = new Set<string>();
  return decisions.map((decision) => {
    if (decision.kind !== "reserve") return decision;
    const row = reserved.get(decision.key);
    if (row === undefined) return { kind: "duplicate", id: winners.get(decision.key) ?? "" };
    if (first.has(decision.key)) return { kind: "duplicate", id: row.id };
    first.add(decision.key);
    return { kind: "reserved", nudge: row };
  });
}

/** A delivered nudge whose outcome is to be recorded. */
interface Delivery {
  index: number;
  nudge: PreparedNudge;
  id: string;
  result: DeliveryResult;
}

/**
 * Records the outcomes of `deliveries` in one update; when that fails, one at a time, so a nudge whose outcome
 * cannot be recorded (gone, say) fails alone, as its deployNudge would.
 */
async function recordOutcomes(
  deps: NudgeDependencies,
  deliveries: readonly Delivery[],
  results: BatchNudgeResult[],
): Promise<void> {
  if (deliveries.length === 0) return;
  try {
    await deps.store.coachPass.setNudgeOutcomes(
      deliveries.map((d) => ({ id: d.id, outcome: outcomeOf(d.result) })),
    );
    for (const d of deliveries)
      results[d.index] = { ok: true, result: deliveredNudge(deps, d.nudge, d.id, d.result) };
  } catch {
    for (const d of deliveries) {
      try {
        await deps.store.nudges.setOutcome(d.id, outcomeOf(d.result));
        results[d.index] = { ok: true, result: deliveredNudge(deps, d.nudge, d.id, d.result) };
      } catch (error) {
        results[d.index] = { ok: false, error };
      }
    }
  }
}

/** Deletes reservations the pass will not deliver (out of time), so a later pass decides them again. */
async function release(deps: NudgeDependencies, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await deps.store.coachPass.releaseNudges(ids);
  } catch (error) {
    deps.logger.error({ err: error, nudgeIds: ids }, "could not release undelivered nudge reservations");
  }
}

/**
 * Delivers a group's reserved nudges: the in-app ones first (free: the stored row is the delivery), their
 * outcomes recorded in one update right after the reservation; then each slow one (webhook, email) with its
 * outcome recorded right after it. Past the budget, the slow ones not yet delivered are released and deferred.
 */
async function deliverGroup(
  deps: NudgeDependencies,
  batch: readonly PreparedNudge[],
  decisions: readonly Decision[],
  expired: () => boolean,
): Promise<BatchNudgeResult[]> {
  const results: BatchNudgeResult[] = decisions.map((decision, index) => {
    const nudge = batch[index] as PreparedNudge;
    if (decision.kind === "duplicate") {
      return { ok: true, result: { status: "duplicate", channel: nudge.channel, nudgeId: decision.id } };
    }
    return { ok: true, result: cappedNudge(nudge) };
  });
  const free: Delivery[] = [];
  const slow: { index: number; nudge: PreparedNudge; reserved: ReservedNudge }[] = [];
  for (const [index, decision] of decisions.entries()) {
    if (decision.kind !== "reserved") continue;
    const nudge = batch[index] as PreparedNudge;
    if (!isSlow(nudge)) {
      const result = await deliverReserved(nudge, decision.nudge);
      free.push({ index, nudge, id: decision.nudge.id, result });
    } else slow.push({ index, nudge, reserved: decision.nudge });
  }
  await recordOutcomes(deps, free, results);
  for (const [position, { index, nudge, reserved }] of slow.entries()) {
    if (expired()) {
      const rest = slow.slice(position);
      await release(
        deps,
        rest.map((item) => item.reserved.id),
      );
      for (const item of rest) results[item.index] = DEFERRED;
      break;
    }
    const result = await deliverReserved(nudge, reserved);
    await recordOutcomes(deps, [{ index, nudge, id: reserved.id, result }], results);
  }
  return results;
}

/**
 * The next group of `pending` from `start`: at most `NUDGE_BATCH_SIZE` nudges and at most
 * `NUDGE_SLOW_GROUP_SIZE` slow ones, so few reservations wait on slow channels. Returns its end.
 */
function groupEnd(pending: readonly { nudge: PreparedNudge }[], start: number): number {
  let slow = 0;
  let end = start;
  while (end < pending.length && end - start < NUDGE_BATCH_SIZE) {
    if (isSlow((pending[end] as { nudge: PreparedNudge }).nudge)) {
      if (slow === NUDGE_SLOW_GROUP_SIZE) break;
      slow += 1;
    }
    end += 1;
  }
  return end;
}

/** The requests' checks before any write, and the pre-check for a nudge already sent (see the module comment). */
async function prepareAll(
  deps: NudgeDependencies,
  requests: readonly DeployNudgeParameters[],
  results: BatchNudgeResult[],
): Promise<{ index: number; nudge: PreparedNudge }[]> {
  const pending: { index: number; nudge: PreparedNudge }[] = [];
  for (const [index, request] of requests.entries()) {
    try {
      const nudge = await prepareNudge(deps, request);
      if ("status" in nudge) {
        results[index] = { ok: true, result: nudge };
        continue;
      }
      const sent = await deps.store.nudges.find(nudge.owner, nudge.channel, nudge.dedupeKey);
      if (sent === null) pending.push({ index, nudge });
      else
        results[index] = {
          ok: true,
          result: { status: "duplicate", channel: nudge.channel, nudgeId: sent.id },
        };
    } catch (error) {
      results[index] = { ok: false, error };
    }
  }
  return pending;
}

/** A group whose transaction failed: its nudges one at a time by `deployNudge`, while there is time. */
async function deployOneByOne(
  deps: NudgeDependencies,
  requests: readonly DeployNudgeParameters[],
  chunk: readonly { index: number }[],
  results: BatchNudgeResult[],
  expired: () => boolean,
): Promise<void> {
  for (const { index } of chunk) {
    if (expired()) {
      results[index] = DEFERRED;
      continue;
    }
    try {
      results[index] = {
        ok: true,
        result: await deployNudge(deps, requests[index] as DeployNudgeParameters),
      };
    } catch (failure) {
      results[index] = { ok: false, error: failure };
    }
  }
}

/**
 * Sends `requests` in order, in groups (see `groupEnd`), one transaction per group; one result per request (see
 * the module comment). `expired` is the caller's time budget, asked before each group and each slow delivery:
 * once it says true, nothing more is delivered and the nudges left are `deferred` (none of them stays reserved).
 */
export async function deployNudgeBatch(
  deps: NudgeDependencies,
  requests: readonly DeployNudgeParameters[],
  expired: () => boolean = () => false,
): Promise<BatchNudgeResult[]> {
  const results: BatchNudgeResult[] = new Array(requests.length);
  const pending = await prepareAll(deps, requests, results);
  for (let start = 0; start < pending.length; ) {
    const end = groupEnd(pending, start);
    const chunk = pending.slice(start, end);
    start = end;
    if (expired()) {
      for (const { index } of chunk) results[index] = DEFERRED;
      continue;
    }
    const batch = chunk.map((item) => item.nudge);
    let decisions: Decision[];
    try {
      decisions = await deps.store.transaction((tx) => reserveBatch(tx, batch));
    } catch (error) {
      deps.logger.warn(
        { err: error, nudges: batch.length },
        "nudge batch failed; sending its nudges one at a time",
      );
      await deployOneByOne(deps, requests, chunk, results, expired);
      continue;
    }
    const delivered = await deliverGroup(deps, batch, decisions, expired);
    for (const [offset, { index }] of chunk.entries()) results[index] = delivered[offset] as BatchNudgeResult;
  }
  return results;
}
