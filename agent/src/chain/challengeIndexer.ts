/**
 * Follows a ChallengePool's events (ChallengeCreated, Joined, ParticipantSettled, WinningsClaimed) into
 * `challenges_cache` and `challenge_participants_cache`. As with the vault indexer, events only mark challenges
 * and participants dirty; each is then read in full AT the range's last block (`challenge`, `statusOf`,
 * `commitmentOf`, `winningsOf`) and upserted, in the same store transaction as the cursor (keyed by the pool's
 * address), so reprocessing a range is idempotent. Bounded: at most `maxBlockRange` blocks per `eth_getLogs`,
 * `maxRangesPerRun` ranges per run. On a reorg (the cursor's hash is no longer the chain's) the cursor goes
 * back `reorgDepth` blocks and every row read above that block is read again there (or deleted).
 */
import { type Address, getAbiItem } from "viem";
import { z } from "zod";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import type {
  ChallengeInput,
  ChallengeRecord,
  ParticipantInput,
  ParticipantRecord,
} from "../store/challengesRepository.ts";
import type { ChallengeParticipantStatus } from "../store/schema.ts";
import type { Repositories, Store } from "../store/store.ts";
import type { ChainClient } from "./chainClient.ts";
import { rpcFailure } from "./chainErrors.ts";
import {
  type BlockRange,
  type ContractLog,
  contractLogs,
  createLogFollower,
  decodeLogs,
  type IndexerParameters,
  type LogFollower,
  type RowWrites,
  rereadPages,
  type WriteCounts,
  withFollowDefaults,
} from "./logFollower.ts";
import { mapBounded } from "./mapBounded.ts";

export interface CreateChallengeIndexerParameters extends IndexerParameters {
  client: Pick<ChainClient, "getBlockNumber" | "getBlock" | "getLogs" | "readContract">;
  pool: Address;
}

/** Its runs' `updated`/`removed` count challenge and participant rows. */
export type ChallengeIndexer = LogFollower;

export const CHALLENGE_EVENTS = [
  getAbiItem({ abi: challengePoolAbi, name: "ChallengeCreated" }),
  getAbiItem({ abi: challengePoolAbi, name: "Joined" }),
  getAbiItem({ abi: challengePoolAbi, name: "ParticipantSettled" }),
  getAbiItem({ abi: challengePoolAbi, name: "WinningsClaimed" }),
] as const;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const logSchema = z.object({
  eventName: z.enum(["ChallengeCreated", "Joined", "ParticipantSettled", "WinningsClaimed"]),
  args: z.looseObject({
    challengeId: z.bigint().min(1n),
    creator: address.optional(),
    participant: address.optional(),
  }),
});

/** `IChallengePool.Status` by its uint8 value; None (0) means "not a participant". */
const STATUSES: readonly (ChallengeParticipantStatus | null)[] = [
  null,
  "joined",
  "out",
  "finished",
  "claimed",
];
const ZERO: Address = "0x0000000000000000000000000000000000000000";
type ChallengeRead = Omit<ChallengeInput, "creator" | "updatedBlock"> | null;
type ParticipantRead = Omit<ParticipantInput, "updatedBlock"> | null;

/** What the pool's reads and writes need. */
interface Pool {
  client: CreateChallengeIndexerParameters["client"];
  store: Store;
  chainId: number;
  pool: Address;
  deploymentBlock: number;
  readConcurrency: number;
}

interface Writes {
  challenges: { challengeId: bigint; creator: Address; read: ChallengeRead }[];
  participants: { challengeId: bigint; participant: Address; read: ParticipantRead }[];
}

export function createChallengeIndexer(parameters: CreateChallengeIndexerParameters): ChallengeIndexer {
  const { client, store, logger, chainId, pool } = parameters;
  const tuning = withFollowDefaults(parameters);
  const context: Pool = { client, store, chainId, pool, ...tuning };
  return createLogFollower<ContractLog>({
    name: "challenge-indexer",
    client,
    store,
    log: logger.child({ component: "challenge-indexer", chainId, pool }),
    cursorKey: { chainId, vault: pool },
    ...tuning,
    // A reorg always goes back `reorgDepth` blocks.
    rememberBlocks: false,
    source: {
      getLogs: contractLogs(client, pool, CHALLENGE_EVENTS),
      readRange: (logs, range) => readRange(context, logs, range),
      rewind: (ancestorBlock) => rewind(context, ancestorBlock),
    },
  });
}

/** The challenges and participants a range's events touched, read at its last block. */
async function readRange(p: Pool, logs: readonly ContractLog[], range: BlockRange) {
  const challenges = new Map<bigint, Address | undefined>();
  const participants = new Map<string, { challengeId: bigint; participant: Address }>();
  for (const { args } of decodeLogs(logSchema, logs, range, "challenge pool")) {
    const { challengeId, creator, participant } = args;
    const known = challenges.get(challengeId);
    challenges.set(challengeId, known ?? (creator?.toLowerCase() as Address | undefined));
    if (participant !== undefined) {
      const lower = participant.toLowerCase() as Address;
      participants.set(`${challengeId}:${lower}`, { challengeId, participant: lower });
    }
  }
  const challengeIds = [...challenges.keys()];
  const participantKeys = [...participants.values()];
  const creators = await mapBounded(challengeIds, p.readConcurrency, async (challengeId) => {
    const creator = challenges.get(challengeId);
    if (creator !== undefined) return creator;
    return (await p.store.challenges.get({ chainId: p.chainId, pool: p.pool, challengeId }))?.creator ?? ZERO;
  });
  const challengeReads = await readChallenges(p, challengeIds, range.toBlock);
  const participantReads = await readParticipants(p, participantKeys, range.toBlock);
  const writes: Writes = {
    challenges: challengeIds.map((challengeId, i) => ({
      challengeId,
      creator: creators[i] ?? ZERO,
      read: challengeReads[i] ?? null,
    })),
    participants: participantKeys.map((k, i) => ({ ...k, read: participantReads[i] ?? null })),
  };
  return {
    write: (tx: Repositories) => write(p, tx, writes, range.toBlock),
    dirty: challengeIds.length + participantKeys.length,
  };
}

/** Reads again, at `ancestorBlock`, every challenge and participant row read above it; answers their writes. */
async function rewind(p: Pool, ancestorBlock: number): Promise<RowWrites> {
  const { chainId, pool, store } = p;
  const rewritten =
    (writes: Writes): RowWrites =>
    (tx) =>
      write(p, tx, writes, ancestorBlock);
  const above = { chainId, pool, block: ancestorBlock };
  const challenges = await rereadPages<ChallengeRecord, bigint, "afterId">({
    cursor: "afterId",
    list: (page) => store.challenges.listUpdatedAfter({ ...above, ...page }),
    afterOf: (last) => last.challengeId,
    reread: async (rows) => {
      const reads = await readChallenges(
        p,
        rows.map((row) => row.challengeId),
        ancestorBlock,
      );
      return rewritten({
        challenges: rows.map((row, i) => ({
          challengeId: row.challengeId,
          creator: row.creator,
          read: reads[i] ?? null,
        })),
        participants: [],
      });
    },
  });
  type ParticipantKey = { challengeId: bigint; participant: string };
  const participants = await rereadPages<ParticipantRecord, ParticipantKey, "after">({
    cursor: "after",
    list: (page) => store.challenges.listParticipantsUpdatedAfter({ ...above, ...page }),
    afterOf: (last) => ({ challengeId: last.challengeId, participant: last.participant }),
    reread: async (rows) => {
      const reads = await readParticipants(p, rows, ancestorBlock);
      return rewritten({
        challenges: [],
        participants: rows.map((row, i) => ({
          challengeId: row.challengeId,
          participant: row.participant,
          read: reads[i] ?? null,
        })),
      });
    },
  });
  return async (tx) => {
    const rewound = await challenges(tx);
    const rewoundParticipants = await participants(tx);
    return {
      updated: rewound.updated + rewoundParticipants.updated,
      removed: rewound.removed + rewoundParticipants.removed,
    };
  };
}

async function write(p: Pool, tx: Repositories, writes: Writes, blockNumber: number): Promise<WriteCounts> {
  const { chainId, pool } = p;
  let updated = 0;
  let removed = 0;
  for (const { challengeId, creator, read: row } of writes.challenges) {
    if (row === null) {
      if (await tx.challenges.delete({ chainId, pool, challengeId })) removed++;
    } else {
      await tx.challenges.upsert({ ...row, creator, updatedBlock: blockNumber });
      updated++;
    }
  }
  for (const { challengeId, participant, read: row } of writes.participants) {
    if (row === null) {
      if (await tx.challenges.deleteParticipant({ chainId, pool, challengeId, participant })) removed++;
    } else {
      await tx.challenges.upsertParticipant({ ...row, updatedBlock: blockNumber });
      updated++;
    }
  }
  return { updated, removed };
}

const read = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw rpcFailure(what, error);
  }
};

async function readChallenges(
  p: Pool,
  ids: readonly bigint[],
  blockNumber: number,
): Promise<ChallengeRead[]> {
  const { client, chainId, pool } = p;
  if (blockNumber < p.deploymentBlock) return ids.map(() => null);
  const at = BigInt(blockNumber);
  const count = await read("challengeCount", () =>
    client.readContract({
      address: pool,
      abi: challengePoolAbi,
      functionName: "challengeCount",
      blockNumber: at,
    }),
  );
  return mapBounded(ids, p.readConcurrency, async (challengeId) => {
    if (challengeId > count) return null;
    const [c, participants, settled, finishers, pot] = await read("challenge", () =>
      client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "challenge",
        args: [challengeId],
        blockNumber: at,
      }),
    );
    return {
      chainId,
      pool,
      challengeId,
      token: c.token,
      stake: c.stake,
      start: Number(c.start),
      period: c.period,
      milestones: c.milestones,
      grace: c.grace,
      rulesHash: c.rulesHash,
      joinDeadline: Number(c.joinDeadline),
      maxParticipants: c.maxParticipants,
      feeBps: c.feeBps,
      feeRecipient: c.feeRecipient,
      fallbackBeneficiary: c.fallbackBeneficiary,
      participants,
      settled,
      finishers,
      pot,
    };
  });
}

async function readParticipants(
  p: Pool,
  keys: readonly { challengeId: bigint; participant: Address }[],
  blockNumber: number,
): Promise<ParticipantRead[]> {
  const { client, chainId, pool } = p;
  if (blockNumber < p.deploymentBlock) return keys.map(() => null);
  const at = BigInt(blockNumber);
  return mapBounded(keys, p.readConcurrency, async ({ challengeId, participant }) => {
    const args = [challengeId, participant] as const;
    const base = { address: pool, abi: challengePoolAbi, args, blockNumber: at } as const;
    const status = await read("statusOf", () => client.readContract({ ...base, functionName: "statusOf" }));
    const named = STATUSES[status];
    if (named === null || named === undefined) return null;
    const [commitmentId, winnings] = await Promise.all([
      read("commitmentOf", () => client.readContract({ ...base, functionName: "commitmentOf" })),
      read("winningsOf", () => client.readContract({ ...base, functionName: "winningsOf" })),
    ]);
    return { chainId, pool, challengeId, participant, commitmentId, status: named, winnings };
  });
}
