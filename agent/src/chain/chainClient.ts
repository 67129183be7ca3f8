/**
 * The viem public client the chain layer reads and broadcasts through, built from the configured RPC URL
 * (http(s) or ws(s)) with bounded timeouts and retries, and the startup check that the RPC serves the
 * configured chain and the vault is deployed there (a wrong RPC must stop the agent, not feed it wrong data).
 */
import {
  type Address,
  type Chain,
  createPublicClient,
  defineChain,
  http,
  type PublicClient,
  type Transport,
  webSocket,
} from "viem";
import { DependencyError } from "../errors.ts";
import { inSpan, tracingEnabled } from "../telemetry/spans.ts";

/** What the chain layer needs from a viem public client (any transport, any chain definition). */
export type ChainClient = PublicClient<Transport, Chain | undefined>;

export interface CreateChainClientParameters {
  rpcUrl: string;
  chainId: number;
  /** Per request. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries of a failed request (viem backs off between them). Default 2. */
  retryCount?: number;
  /** How often viem polls when it watches (receipts, blocks). Default 1 000 ms. */
  pollingIntervalMs?: number;
}

export type CreateChainClientReturnType = PublicClient<Transport, Chain>;

/** A minimal chain definition for `chainId` (viem needs one to sign and send). */
export function chainDefinition(chainId: number, rpcUrl = "http://127.0.0.1:8545"): Chain {
  return defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function createChainClient({
  rpcUrl,
  chainId,
  timeoutMs = 10_000,
  retryCount = 2,
  pollingIntervalMs = 1_000,
}: CreateChainClientParameters): CreateChainClientReturnType {
  const options = { timeout: timeoutMs, retryCount };
  const transport = /^wss?:/i.test(rpcUrl) ? webSocket(rpcUrl, options) : http(rpcUrl, options);
  return createPublicClient({
    chain: chainDefinition(chainId, rpcUrl),
    transport: tracingEnabled() ? tracedTransport(transport, chainId) : transport,
    pollingInterval: pollingIntervalMs,
  });
}

/**
 * Every JSON-RPC call as a `chain.rpc <method>` client span (method and chain id; never params, which hold
 * signed transactions and addresses), inside a request or run only: the indexer's idle polling is not traced.
 */
export function tracedTransport(transport: Transport, chainId: number): Transport {
  return ((parameters: Parameters<Transport>[0]) => {
    const inner = transport(parameters);
    const request = inner.request;
    const traced: typeof request = (args, options) =>
      inSpan(
        `chain.rpc ${args.method}`,
        { "rpc.system": "jsonrpc", "rpc.method": args.method, "chain.id": chainId },
        () => request(args, options),
        { kind: "client", requireParent: true },
      );
    return { ...inner, request: traced };
  }) as Transport;
}

/**
 * Throws DependencyError `rpc_unavailable` when the RPC endpoint does not answer, `rpc_wrong_chain` when it
 * serves another chain than `expectedChainId` (startup's `verifyChain` and the `/health` RPC check).
 */
export async function expectChainId(
  client: { getChainId(): Promise<number> },
  expectedChainId: number,
): Promise<void> {
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (cause) {
    throw new DependencyError({
      code: "rpc_unavailable",
      message: "the RPC endpoint does not answer",
      cause,
    });
  }
  if (chainId !== expectedChainId) {
    throw new DependencyError({
      code: "rpc_wrong_chain",
      message: `the RPC endpoint serves chain ${chainId}, expected ${expectedChainId}`,
      details: { chainId, expectedChainId },
    });
  }
}

export interface VerifyChainParameters {
  client: Pick<ChainClient, "getChainId" | "getCode">;
  chainId: number;
  /** When given, it must have code on that chain. */
  vault?: Address;
}

/**
 * Throws DependencyError `rpc_unavailable` (no answer), `rpc_wrong_chain` (another chain id) or
 * `vault_not_deployed` (no code at the vault address). Run it at startup, before anything reads the chain.
 */
export async function verifyChain({ client, chainId, vault }: VerifyChainParameters): Promise<void> {
  await expectChainId(client, chainId);
  if (vault === undefined) return;
  let code: string | undefined;
  try {
    code = await client.getCode({ address: vault });
  } catch (cause) {
    throw new DependencyError({
      code: "rpc_unavailable",
      message: "the RPC endpoint does not answer",
      cause,
    });
  }
  if (code === undefined || code === "0x") {
    throw new DependencyError({
      code: "vault_not_deployed",
      message: `no contract at the vault address ${vault} on chain ${chainId}`,
      details: { vault, chainId },
    });
  }
}

/** Whether `address` has code on the chain (false when the RPC fails: the caller falls back). */
export async function hasCode(client: Pick<ChainClient, "getCode">, address: Address): Promise<boolean> {
  try {
    const code = await client.getCode({ address });
    return code !== undefined && code !== "0x";
  } catch {
    return false;
  }
}
