/**
 * `VaultReader` over viem: reads a commitment and all its milestone states in ONE `eth_call` through the
 * vault's own `multicall` (so the values are from one block), and validates everything that comes back with
 * zod. The milestone count of an id is remembered (bounded) because it is needed to encode the batch; a
 * stale count (after a reorg) is detected from the batch itself and the read is redone.
 */
import { type Address, decodeFunctionResult, encodeFunctionData, getAddress, type Hex } from "viem";
import { z } from "zod";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { DependencyError, NotFoundError, ValidationError } from "../errors.ts";
import { type MilestoneAppeal, type MilestoneState, milestoneStates } from "../store/schema.ts";
import type { ChainClient } from "./chainClient.ts";
import { chainFailure, decodeRevert } from "./chainErrors.ts";
import type { OnChainCommitment, ReadOptions, VaultReader } from "./ports.ts";

export interface ReadCommitmentOptions extends ReadOptions {
  /** The commitment's milestone count when the caller knows it (saves a round trip on a first read). */
  milestones?: number;
}

export interface MilestoneRef {
  commitmentId: bigint;
  milestoneIndex: number;
}

export interface MilestoneStatus {
  state: MilestoneState;
  /** `claimDeadline(id, index)`, unix seconds. */
  claimDeadline: number;
}

/** The port plus the batch reads the keeper and the indexer use. */
export interface ViemVaultReader extends VaultReader {
  readCommitment(commitmentId: bigint, options?: ReadCommitmentOptions): Promise<OnChainCommitment | null>;
  /**
   * State and claim deadline of each milestone, `MILESTONES_PER_CALL` per `eth_call`; null for a milestone
   * that cannot be read (unknown commitment or index out of range).
   */
  readMilestones(
    milestones: readonly MilestoneRef[],
    options?: ReadOptions,
  ): Promise<(MilestoneStatus | null)[]>;
  /** The vault's `paused()`. */
  isPaused(options?: ReadOptions): Promise<boolean>;
}

export interface CreateVaultReaderParameters {
  client: Pick<ChainClient, "call" | "readContract" | "getBlock">;
  chainId: number;
  vault: Address;
  /** Milestone counts remembered (oldest forgotten first). Default 10 000. */
  countCacheSize?: number;
}

export type CreateVaultReaderReturnType = ViemVaultReader;

/** Milestones per `eth_call` in `readMilestones` (two calls each). */
export const MILESTONES_PER_CALL = 100;

const MAX_UINT128 = 2n ** 128n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const addressOut = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((value) => getAddress(value));

const commitmentSchema = z.object({
  owner: addressOut,
  token: addressOut,
  amount: z.bigint().min(0n).max(MAX_UINT128),
  start: z.bigint().min(0n).max(MAX_SAFE).transform(Number),
  period: z.number().int().min(0),
  milestones: z.number().int().min(1).max(104),
  grace: z.number().int().min(0),
  beneficiary: addressOut,
  rulesHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .transform((value) => value.toLowerCase() as Hex),
  closed: z.boolean(),
});

const stateSchema = z
  .number()
  .int()
  .min(0)
  .max(milestoneStates.length - 1)
  .transform((value) => milestoneStates[value] as MilestoneState);

const deadlineSchema = z.bigint().min(0n).max(MAX_SAFE).transform(Number);

/** `appealOf(id, index)`: `(uint64 appealedAt, uint128 bond)`; zero `appealedAt` means never appealed. */
const appealSchema = z
  .tuple([z.bigint().min(0n).max(MAX_SAFE).transform(Number), z.bigint().min(0n).max(MAX_UINT128)])
  .readonly();

const oracleSetSchema = z.object({
  oracles: z.array(addressOut).min(1).max(16),
  threshold: z.number().int().min(1).max(16),
});

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function invalidResponse(what: string, cause: unknown): DependencyError {
  return new DependencyError({
    code: "chain_invalid_response",
    message: `The chain returned an invalid ${what}.`,
    details: { what },
    cause,
  });
}

function parseChainValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidResponse(what, result.error);
  return result.data;
}

type BatchOutcome =
  | { kind: "notFound" }
  | { kind: "staleCount" }
  | {
      kind: "ok";
      commitment: z.output<typeof commitmentSchema>;
      states: MilestoneState[];
      appeals: MilestoneAppeal[];
    };

/** The vault a reader reads, through which client. */
interface VaultCalls {
  client: CreateVaultReaderParameters["client"];
  vault: Address;
}

const atBlock = (options: ReadOptions) =>
  options.blockNumber !== undefined ? { blockNumber: options.blockNumber } : {};

export function createVaultReader({
  client,
  chainId,
  vault,
  countCacheSize = 10_000,
}: CreateVaultReaderParameters): CreateVaultReaderReturnType {
  const v: VaultCalls = { client, vault };
  const counts = createCountCache(countCacheSize);
  const view = <S extends z.ZodType>(
    functionName: "exitAvailable" | "paused",
    schema: S,
    options: ReadOptions,
  ): Promise<z.output<S>> =>
    chainRead(functionName, async () =>
      parseChainValue(
        schema,
        await client.readContract({
          address: vault,
          abi: commitmentVaultAbi,
          functionName,
          ...atBlock(options),
        }),
        functionName,
      ),
    );

  return {
    chainId,
    vault,
    readCommitment: (commitmentId, options = {}) => readCommitment(v, chainId, counts, commitmentId, options),
    claimDeadline: (commitmentId, milestoneIndex, options = {}) =>
      readClaimDeadline(v, { commitmentId, milestoneIndex }, options),
    oracleSet: (options = {}) => readOracleSet(v, options),
    latestTimestamp: () =>
      chainRead("latest block", async () => {
        const block = await client.getBlock({ blockTag: "latest" });
        return parseChainValue(deadlineSchema, block.timestamp, "block timestamp");
      }),
    readMilestones: (milestones, options = {}) => readMilestoneStatuses(v, milestones, options),
    exitAvailable: (options = {}) => view("exitAvailable", z.boolean(), options),
    pauseTimes: (options = {}) =>
      chainRead("pauseState", async () => {
        const [pausedAt, lastUnpausedAt] = await client.readContract({
          address: vault,
          abi: commitmentVaultAbi,
          functionName: "pauseState",
          ...atBlock(options),
        });
        return {
          pausedAt: parseChainValue(deadlineSchema, pausedAt, "pauseState.pausedAt"),
          lastUnpausedAt: parseChainValue(deadlineSchema, lastUnpausedAt, "pauseState.lastUnpausedAt"),
        };
      }),
    isPaused: (options = {}) => view("paused", z.boolean(), options),
  };
}

/** Runs a read; any failure (an invalid response included) becomes the chain failure of `operation`. */
async function chainRead<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw chainFailure(operation, error);
  }
}

/** Milestone counts by commitment id, the oldest forgotten first past `size`. */
function createCountCache(size: number) {
  const counts = new Map<bigint, number>();
  return {
    get: (id: bigint) => counts.get(id),
    forget: (id: bigint) => counts.delete(id),
    remember(id: bigint, count: number) {
      counts.delete(id);
      counts.set(id, count);
      if (counts.size > size) {
        const oldest = counts.keys().next();
        if (oldest.done !== true) counts.delete(oldest.value);
      }
    },
  };
}
type CountCache = ReturnType<typeof createCountCache>;

/** The vault's `multicall` over `calls` in one `eth_call`, decoded into each call's return data. */
async function vaultMulticall(
  v: VaultCalls,
  calls: Hex[],
  options: ReadOptions,
  operation: string,
): Promise<readonly Hex[]> {
  let returned: Hex | undefined;
  try {
    // `multicall` is not a view in the ABI (it also batches writes), so it is called with eth_call directly.
    ({ data: returned } = await v.client.call({
      to: v.vault,
      data: encodeFunctionData({ abi: commitmentVaultAbi, functionName: "multicall", args: [calls] }),
      ...atBlock(options),
    }));
  } catch (error) {
    throw chainFailure(operation, error);
  }
  if (returned === undefined) throw invalidResponse("multicall result", undefined);
  try {
    return decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", data: returned });
  } catch (cause) {
    throw invalidResponse("multicall result", cause);
  }
}

const decodeCommitment = (data: Hex) =>
  parseChainValue(commitmentSchema, decodeResult("getCommitment", data), "getCommitment result");

/** getCommitment plus `count` milestoneState and `count` appealOf calls in one eth_call. */
async function readBatch(
  v: VaultCalls,
  id: bigint,
  count: number,
  options: ReadOptions,
): Promise<BatchOutcome> {
  const calls: Hex[] = [
    encodeFunctionData({ abi: commitmentVaultAbi, functionName: "getCommitment", args: [id] }),
  ];
  for (let index = 0; index < count; index++) {
    calls.push(
      encodeFunctionData({
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [id, BigInt(index)],
      }),
    );
  }
  for (let index = 0; index < count; index++) {
    calls.push(
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "appealOf", args: [id, BigInt(index)] }),
    );
  }
  let results: readonly Hex[];
  try {
    results = await vaultMulticall(v, calls, options, "getCommitment");
  } catch (error) {
    const revert = decodeRevert(error);
    if (revert?.errorName === "CommitmentNotFound") return { kind: "notFound" };
    if (revert?.errorName === "MilestoneOutOfRange") return { kind: "staleCount" };
    throw error;
  }
  if (results.length !== calls.length) throw invalidResponse("multicall result", undefined);
  const [first, ...rest] = results;
  if (first === undefined) throw invalidResponse("multicall result", undefined);
  const commitment = decodeCommitment(first);
  if (commitment.milestones !== count) return { kind: "staleCount" };
  const states = rest
    .slice(0, count)
    .map((data) => parseChainValue(stateSchema, decodeResult("milestoneState", data), "state"));
  const appeals: MilestoneAppeal[] = [];
  for (const [index, data] of rest.slice(count).entries()) {
    const [appealedAt, bond] = parseChainValue(appealSchema, decodeResult("appealOf", data), "appealOf");
    if (appealedAt > 0) appeals.push({ index, appealedAt, bond: bond.toString() });
  }
  return { kind: "ok", commitment, states, appeals };
}

/** getCommitment alone (to learn the milestone count); null when the id is unknown. */
async function readCount(v: VaultCalls, id: bigint, options: ReadOptions): Promise<number | null> {
  let value: unknown;
  try {
    value = await v.client.readContract({
      address: v.vault,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [id],
      ...atBlock(options),
    });
  } catch (error) {
    if (decodeRevert(error)?.errorName === "CommitmentNotFound") return null;
    throw chainFailure("getCommitment", error);
  }
  return parseChainValue(commitmentSchema, value, "getCommitment result").milestones;
}

async function readCommitment(
  v: VaultCalls,
  chainId: number,
  counts: CountCache,
  commitmentId: bigint,
  options: ReadCommitmentOptions,
): Promise<OnChainCommitment | null> {
  const id = parseArgument(z.bigint().min(0n), commitmentId, "commitmentId");
  let count = options.milestones ?? counts.get(id);
  // Bounded: a wrong count costs one extra round; a count that keeps changing means the chain is reorging.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (count === undefined) {
      const learned = await readCount(v, id, options);
      if (learned === null) {
        counts.forget(id);
        return null;
      }
      count = learned;
    }
    const outcome = await readBatch(v, id, count, options);
    if (outcome.kind === "notFound") {
      counts.forget(id);
      return null;
    }
    if (outcome.kind === "staleCount") {
      count = undefined;
      continue;
    }
    const { commitment, states, appeals } = outcome;
    if (commitment.owner === ZERO_ADDRESS) return null;
    counts.remember(id, commitment.milestones);
    return { chainId, vault: v.vault, commitmentId: id, ...commitment, milestoneStates: states, appeals };
  }
  throw new DependencyError({
    code: "chain_inconsistent_read",
    message: "The commitment's milestone count kept changing between reads (is the chain reorganising?).",
    details: { commitmentId: id.toString() },
  });
}

const milestoneRefSchema = z.object({
  commitmentId: z.bigint().min(0n),
  milestoneIndex: z.number().int().min(0).max(103),
});

async function readClaimDeadline(
  v: VaultCalls,
  milestone: MilestoneRef,
  options: ReadOptions,
): Promise<number> {
  const ref = parseArgument(milestoneRefSchema, milestone, "milestone");
  try {
    const value = await v.client.readContract({
      address: v.vault,
      abi: commitmentVaultAbi,
      functionName: "claimDeadline",
      args: [ref.commitmentId, BigInt(ref.milestoneIndex)],
      ...atBlock(options),
    });
    return parseChainValue(deadlineSchema, value, "claimDeadline");
  } catch (error) {
    const revert = decodeRevert(error);
    if (revert?.errorName === "CommitmentNotFound") {
      throw new NotFoundError({
        code: "commitment_not_found",
        message: `No commitment ${ref.commitmentId} on the vault.`,
        details: { field: "commitmentId" },
      });
    }
    if (revert?.errorName === "MilestoneOutOfRange") {
      throw new ValidationError({
        code: "milestone_out_of_range",
        message: `Commitment ${ref.commitmentId} has no milestone ${ref.milestoneIndex}.`,
        details: { field: "milestoneIndex" },
      });
    }
    throw chainFailure("claimDeadline", error);
  }
}

async function readOracleSet(v: VaultCalls, options: ReadOptions) {
  const results = await vaultMulticall(
    v,
    [
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "oracles" }),
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "threshold" }),
    ],
    options,
    "oracle set",
  );
  const [oraclesData, thresholdData] = results;
  if (oraclesData === undefined || thresholdData === undefined) {
    throw invalidResponse("multicall result", undefined);
  }
  let oracles: unknown;
  let threshold: unknown;
  try {
    oracles = decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "oracles", data: oraclesData });
    threshold = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "threshold",
      data: thresholdData,
    });
  } catch (cause) {
    throw invalidResponse("oracle set", cause);
  }
  return parseChainValue(oracleSetSchema, { oracles, threshold }, "oracle set");
}

const milestoneCalls = (ref: MilestoneRef): Hex[] => [
  encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "milestoneState",
    args: [ref.commitmentId, BigInt(ref.milestoneIndex)],
  }),
  encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "claimDeadline",
    args: [ref.commitmentId, BigInt(ref.milestoneIndex)],
  }),
];

function decodeStatus(stateData: Hex | undefined, deadlineData: Hex | undefined): MilestoneStatus {
  if (stateData === undefined || deadlineData === undefined)
    throw invalidResponse("multicall result", undefined);
  return {
    state: parseChainValue(stateSchema, decodeResult("milestoneState", stateData), "state"),
    claimDeadline: parseChainValue(
      deadlineSchema,
      decodeResult("claimDeadline", deadlineData),
      "claimDeadline",
    ),
  };
}

async function readMilestoneStatuses(
  v: VaultCalls,
  milestones: readonly MilestoneRef[],
  options: ReadOptions,
): Promise<(MilestoneStatus | null)[]> {
  const refs = parseArgument(z.array(milestoneRefSchema).max(10_000), milestones, "milestones");
  const statuses: (MilestoneStatus | null)[] = [];
  for (let offset = 0; offset < refs.length; offset += MILESTONES_PER_CALL) {
    const chunk = refs.slice(offset, offset + MILESTONES_PER_CALL);
    try {
      const results = await vaultMulticall(v, chunk.flatMap(milestoneCalls), options, "milestone statuses");
      chunk.forEach((_, i) => {
        statuses.push(decodeStatus(results[2 * i], results[2 * i + 1]));
      });
    } catch (error) {
      if (decodeRevert(error) === undefined) throw error;
      // One unreadable milestone sinks the batch: read this chunk one by one instead.
      for (const ref of chunk) {
        try {
          const [stateData, deadlineData] = await vaultMulticall(
            v,
            milestoneCalls(ref),
            options,
            "milestone status",
          );
          statuses.push(decodeStatus(stateData, deadlineData));
        } catch (itemError) {
          if (decodeRevert(itemError) === undefined) throw itemError;
          statuses.push(null);
        }
      }
    }
  }
  return statuses;
}

/** A view's return value from its ABI-encoded result (throws DependencyError when it does not decode). */
function decodeResult(
  functionName: "getCommitment" | "milestoneState" | "claimDeadline" | "appealOf",
  data: Hex,
): unknown {
  try {
    return decodeFunctionResult({ abi: commitmentVaultAbi, functionName, data });
  } catch (cause) {
    throw invalidResponse(`${functionName} result`, cause);
  }
}

function parseArgument<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError({
      code: "invalid_chain_read",
      message: `Invalid ${field} for a vault read.`,
      details: { field },
      cause: result.error,
    });
  }
  return result.data;
}
