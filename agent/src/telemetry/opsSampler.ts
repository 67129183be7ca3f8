/**
 * Samples what the alerts need and no request measures, every `intervalMs` (a background loop; a scrape only
 * reads the gauges, so a slow RPC never slows `/metrics`):
 * - the keeper's backlog: open milestones past their nominal slash deadline (`start + (i+1)·period + grace`; a
 *   pause only moves deadlines later, so this never undercounts), and how late the oldest is;
 * - the relayer's backlog: open milestones this oracle attested whose window has ended, and how long ago;
 * - the operator account's balance (it pays the keeper's slashes and the relayer's claims);
 * - the indexer's lag behind the chain head, in blocks;
 * - whether the oracle signer can sign.
 * Each part fails on its own (logged at debug, its gauge left as it was); `agent_ops_sample_timestamp_seconds`
 * moves only when every part succeeded, so a stuck sampler shows.
 */
import { type Address, formatEther } from "viem";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";

/** How many unsettled commitments one sample reads at most (pages of 500). */
export const OPS_SAMPLE_MAX_COMMITMENTS = 10_000;
/** How many ended, open milestones one sample looks up attestations for at most. */
export const OPS_SAMPLE_MAX_ATTESTATION_LOOKUPS = 500;

export interface OpsSamplerChain {
  client: {
    getBalance(parameters: { address: Address }): Promise<bigint>;
    getBlockNumber(): Promise<bigint>;
  };
  chainId: number;
  vault: Address;
}

export interface CreateOpsSamplerParameters {
  store: Pick<Store, "commitments" | "attestations" | "indexerCursor">;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  chain?: OpsSamplerChain | undefined;
  /** The account paying gas (keeper and relayer), when one is configured. */
  operator?: Address | undefined;
  /** The oracle signer: its address (whose attestations count) and a probe that throws when it cannot sign. */
  signer?: { address: Address; probe: () => Promise<unknown> } | undefined;
}

export interface OpsSampler {
  /** Takes one sample; resolves once every gauge it could read is set. */
  sampleOnce(): Promise<void>;
}

export function createOpsSampler({
  store,
  metrics,
  clock,
  logger,
  chain,
  operator,
  signer,
}: CreateOpsSamplerParameters): OpsSampler {
  const backlogs = async (target: OpsSamplerChain) => {
    const now = Math.floor(clock.now() / 1000);
    let overdue = 0;
    let oldestOverdue = 0;
    const ended: { commitmentId: bigint; milestoneIndex: number; lateBy: number }[] = [];
    let afterId: bigint | undefined;
    for (let read = 0; read < OPS_SAMPLE_MAX_COMMITMENTS; read += 500) {
      const rows = await store.commitments.listUnsettled({
        chainId: target.chainId,
        vault: target.vault,
        limit: 500,
        ...(afterId === undefined ? {} : { afterId }),
      });
      for (const row of rows) {
        for (const [index, state] of row.milestoneStates.entries()) {
          if (state !== "Open") continue;
          const windowEnd = row.start + (index + 1) * row.period;
          const slashDeadline = windowEnd + row.grace;
          if (slashDeadline <= now) {
            overdue++;
            oldestOverdue = Math.max(oldestOverdue, now - slashDeadline);
          } else if (windowEnd <= now) {
            ended.push({ commitmentId: row.commitmentId, milestoneIndex: index, lateBy: now - windowEnd });
          }
        }
      }
      afterId = rows.at(-1)?.commitmentId;
      if (rows.length < 500) break;
    }
    metrics.milestonesOverdueUnslashed.set(overdue);
    metrics.milestonesOverdueUnslashedOldestSeconds.set(oldestOverdue);
    if (signer === undefined) return;
    // Oldest first: when the lookups are capped, the ones an alert is about are the ones read.
    ended.sort((a, b) => b.lateBy - a.lateBy);
    let attested = 0;
    let oldestAttested = 0;
    for (const milestone of ended.slice(0, OPS_SAMPLE_MAX_ATTESTATION_LOOKUPS)) {
      const signed = await store.attestations.listForMilestone({
        chainId: target.chainId,
        vault: target.vault,
        commitmentId: milestone.commitmentId,
        milestoneIndex: milestone.milestoneIndex,
      });
      if (signed.some((a) => a.signer.toLowerCase() === signer.address.toLowerCase())) {
        attested++;
        oldestAttested = Math.max(oldestAttested, milestone.lateBy);
      }
    }
    metrics.milestonesAttestedUnclaimed.set(attested);
    metrics.milestonesAttestedUnclaimedOldestSeconds.set(oldestAttested);
  };

  const indexerLag = async (target: OpsSamplerChain) => {
    const [head, cursor] = await Promise.all([
      target.client.getBlockNumber(),
      store.indexerCursor.get({ chainId: target.chainId, vault: target.vault }),
    ]);
    // Before the first run the cursor is absent: the whole chain since deployment is the lag.
    metrics.indexerLagBlocks.set(Math.max(0, Number(head) - (cursor?.blockNumber ?? 0)));
  };

  const balance = async (target: OpsSamplerChain, address: Address) => {
    const wei = await target.client.getBalance({ address });
    metrics.accountBalance.set({ account: "operator" }, Number(formatEther(wei)));
  };

  const signerProbe = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      metrics.signerUp.set(1);
    } catch (error) {
      metrics.signerUp.set(0);
      throw error;
    }
  };

  return {
    async sampleOnce() {
      const parts: [string, () => Promise<void>][] = [];
      if (chain !== undefined) {
        parts.push(["backlogs", () => backlogs(chain)], ["indexer lag", () => indexerLag(chain)]);
        if (operator !== undefined) parts.push(["balance", () => balance(chain, operator)]);
      }
      if (signer !== undefined) parts.push(["signer", () => signerProbe(signer.probe)]);
      const results = await Promise.allSettled(parts.map(([, sample]) => sample()));
      let failed = 0;
      results.forEach((result, i) => {
        if (result.status === "rejected") {
          failed++;
          logger.debug({ err: result.reason, part: parts[i]?.[0] }, "operations sample failed");
        }
      });
      if (failed === 0) metrics.opsSampleTimestamp.set(Math.floor(clock.now() / 1000));
    },
  };
}
