/**
 * How chain failures become the agent's typed errors: a contract revert is a `ContractRevertedError` carrying
 * the decoded custom error (name and arguments, from the vault's ABI); anything else the RPC does (refused,
 * timed out, garbage) is a `DependencyError`. Helpers here also recognise the RPC answers the senders and
 * the indexer react to (range too large, nonce too low, already known).
 */
import { decodeErrorResult, type Hex } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { AgentError, ConflictError, DependencyError } from "../errors.ts";

export interface ContractRevertedErrorParameters {
  /** What was being done, e.g. `claimMilestone` or `slash batch`. */
  operation: string;
  /** The custom error's name (`SignerNotOracle`), `Error`/`Panic` for Solidity's own, or `unknown`. */
  errorName: string;
  args: readonly unknown[];
  /** The raw revert data, when the RPC returned any. */
  data?: Hex;
  cause?: unknown;
}

/** The transaction would revert (found by simulation, before anything was sent). HTTP 409. */
export class ContractRevertedError extends ConflictError {
  readonly errorName: string;
  readonly args: readonly unknown[];

  constructor({ operation, errorName, args, data, cause }: ContractRevertedErrorParameters) {
    super({
      code: "contract_reverted",
      message: `The vault rejects ${operation}: ${errorName}.`,
      details: { operation, errorName, args: toJsonSafe(args) as unknown[], ...(data ? { data } : {}) },
      cause,
    });
    this.errorName = errorName;
    this.args = args;
  }
}

/** bigint → decimal string, recursively: for error details, logs and the audit log (JSON has no bigint). */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
  }
  return value;
}

/** The errors along the `cause` chain (bounded), outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

const isHex = (value: unknown): value is Hex =>
  typeof value === "string" && /^0x([0-9a-fA-F]{2})*$/.test(value);

/** The revert data an RPC attached to a failed call, wherever along the chain (and however nested) it is. */
export function revertDataOf(error: unknown): Hex | undefined {
  for (const link of causeChain(error)) {
    const data = (link as { data?: unknown }).data;
    if (isHex(data) && data.length >= 10) return data;
    const nested = (data as { data?: unknown } | undefined)?.data;
    if (isHex(nested) && nested.length >= 10) return nested;
  }
  return undefined;
}

function messagesOf(error: unknown): string {
  return causeChain(error)
    .map((link) => {
      const e = link as { message?: unknown; details?: unknown; shortMessage?: unknown };
      return [e.shortMessage, e.details, e.message].filter((m) => typeof m === "string").join(" ");
    })
    .join(" | ");
}

/** True when the error is the EVM reverting (with or without data), not the RPC failing. */
export function isRevert(error: unknown): boolean {
  return revertDataOf(error) !== undefined || /revert/i.test(messagesOf(error));
}

/** The decoded revert, or undefined when the error is not a revert. */
export function decodeRevert(
  error: unknown,
): { errorName: string; args: readonly unknown[]; data?: Hex } | undefined {
  const data = revertDataOf(error);
  if (data === undefined) return isRevert(error) ? { errorName: "unknown", args: [] } : undefined;
  try {
    const decoded = decodeErrorResult({ abi: commitmentVaultAbi, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [], data };
  } catch {
    return { errorName: "unknown", args: [], data };
  }
}

/** A failed RPC request as a DependencyError (agent errors pass through unchanged). */
export function rpcFailure(operation: string, cause: unknown): AgentError {
  if (cause instanceof AgentError) return cause;
  return new DependencyError({
    code: "rpc_unavailable",
    message: `The chain RPC failed during ${operation}.`,
    details: { operation },
    cause,
  });
}

/** A revert becomes ContractRevertedError; anything else a DependencyError. */
export function chainFailure(operation: string, cause: unknown): AgentError {
  if (cause instanceof AgentError) return cause;
  const revert = decodeRevert(cause);
  if (revert !== undefined) return new ContractRevertedError({ operation, ...revert, cause });
  return rpcFailure(operation, cause);
}

/** The RPC refused an `eth_getLogs` range as too large (wording differs per provider). */
export function isRangeTooLarge(error: unknown): boolean {
  const codes = causeChain(error).map((link) => (link as { code?: unknown }).code);
  if (codes.includes(-32005)) return true;
  return /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|more than \d+ (results|logs|blocks)|limit exceeded|response size|exceed(s|ed)? (the )?max/i.test(
    messagesOf(error),
  );
}

/** The node already has this exact transaction (a rebroadcast): not a failure. */
export function isAlreadyKnown(error: unknown): boolean {
  return /already known|known transaction|already imported|alreadyknown/i.test(messagesOf(error));
}

/** The nonce is used (mined or taken by a competing transaction): resync the nonce and sign again. */
export function isNonceConflict(error: unknown): boolean {
  return /nonce too low|nonce.*(already|has been) used|replacement transaction underpriced|transaction underpriced|nonce is too low|invalid nonce/i.test(
    messagesOf(error),
  );
}

/**
 * The node answered the request with a JSON-RPC error: it saw the request and refused it. A transport failure
 * (connection reset or refused, a timeout, an HTTP error without a JSON-RPC answer) is not one: the request may
 * have reached the node all the same. viem's catch-all `UnknownRpcError` (code -1) wraps such failures.
 */
export function isNodeRejection(error: unknown): boolean {
  if (isNonceConflict(error)) return true;
  return causeChain(error).some((link) => {
    const code = (link as { code?: unknown }).code;
    return typeof code === "number" && code !== -1;
  });
}
