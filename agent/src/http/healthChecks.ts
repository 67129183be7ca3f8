/**
 * Ready-made `HealthCheck`s for the dependencies the agent wires in `main`. A database check comes from the
 * store (anything `(signal) => Promise<void>` fits).
 */
import type { Hex } from "viem";
import { expectChainId } from "../chain/chainClient.ts";
import { DependencyError } from "../errors.ts";
import type { HealthCheck } from "./healthRouter.ts";

/** Redis answers PING. */
export function redisHealthCheck(redis: { ping(): Promise<string> }): HealthCheck {
  return async () => {
    try {
      await redis.ping();
    } catch (cause) {
      throw new DependencyError({ code: "redis_unavailable", message: "redis does not answer", cause });
    }
  };
}

/** The RPC endpoint answers and serves the configured chain. */
export function rpcHealthCheck(
  client: { getChainId(): Promise<number> },
  expectedChainId: number,
): HealthCheck {
  return () => expectChainId(client, expectedChainId);
}

/** The oracle signer can sign (a local key always can; a remote signer may be unreachable). */
export function signerHealthCheck(signer: {
  signTypedData(typedData: {
    domain: { name: string };
    types: { Ping: { name: string; type: string }[] };
    primaryType: "Ping";
    message: { at: bigint };
  }): Promise<Hex>;
}): HealthCheck {
  return async () => {
    try {
      await signer.signTypedData({
        domain: { name: "ResolutionAutopilotHealth" },
        types: { Ping: [{ name: "at", type: "uint256" }] },
        primaryType: "Ping",
        message: { at: 0n },
      });
    } catch (cause) {
      throw new DependencyError({
        code: "signer_unavailable",
        message: "the oracle signer cannot sign",
        cause,
      });
    }
  };
}
