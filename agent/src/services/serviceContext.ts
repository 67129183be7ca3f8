/**
 * What the use-case services need, passed explicitly: the store, the clock, metrics, a logger, and the chain and
 * vault this agent serves (undefined when no vault is configured: then nothing counts toward commitments and the
 * commitment routes answer 503).
 */
import type { Address } from "viem";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";

export interface ChainTarget {
  chainId: number;
  vault: Address;
}

export interface ServiceContext {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  chain: ChainTarget | undefined;
}

/** The audit-log subject of a commitment: `commitment:<chainId>:<vault>:<id>`. */
export function commitmentSubject(chain: ChainTarget, commitmentId: bigint): string {
  return `commitment:${chain.chainId}:${chain.vault.toLowerCase()}:${commitmentId}`;
}
