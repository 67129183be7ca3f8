/**
 * PGlite's write-ahead log, kept bounded.
 *
 * PGlite runs PostgreSQL as a single-user backend, without the checkpointer process a server has. A server starts
 * a checkpoint when `max_wal_size` worth of WAL has been written; the single-user backend never does
 * (PostgreSQL's `XLogWrite` asks for one only under a postmaster), so every WAL segment since the last checkpoint
 * (initdb's, the last clean close's, or the end of a crash recovery) is kept. Measured: 100,000 one-row inserts
 * left 96 MiB of WAL with `max_wal_size=64MB`, and it kept growing, about 1-2 KiB per stored workout. With
 * `memory://` that is the process's memory; on disk it is disk space, and a crash replays all of it at the next start.
 *
 * So the agent checkpoints PGlite itself: `checkpointIfDue` runs `CHECKPOINT` once the WAL written since the last
 * checkpoint's redo point reaches `thresholdBytes` (default one 16 MiB segment), and the agent asks every
 * `PGLITE_CHECKPOINT_INTERVAL_MS`. After a checkpoint PostgreSQL removes the segments before it or keeps them for
 * reuse; how many it keeps is clamped between `min_wal_size` and `max_wal_size`, which `PGLITE_WAL_START_PARAMS`
 * sets to 32 and 64 MiB (in single-user mode `max_wal_size` only bounds that reuse). The WAL directory then holds
 * at most ~64 MiB after a checkpoint, plus what is written between two checks.
 */
import { z } from "zod";

/** One WAL segment: PGlite's `wal_segment_size`. */
export const DEFAULT_WAL_CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** How often the agent asks (`assembleAgent.ts`): the check is one prepared one-row select. */
export const PGLITE_CHECKPOINT_INTERVAL_MS = 10_000;

/** Settings PGlite starts with (after its own defaults): the WAL segments kept for reuse, 32 to 64 MiB. */
export const PGLITE_WAL_START_PARAMS: readonly string[] = [
  "-c",
  "min_wal_size=32MB",
  "-c",
  "max_wal_size=64MB",
];

export interface CheckpointIfDueReturnType {
  /** WAL written since the last checkpoint's redo point, when checked (before any checkpoint this call ran). */
  walBytes: number;
  /** True when this call ran `CHECKPOINT`. */
  checkpointed: boolean;
  /** How long the `CHECKPOINT` statement took (0 when none ran). */
  checkpointMs: number;
}

/**
 * What the check needs of PGlite: its `query`. Not `exec`: the agent's prepared-statement client forgets every
 * kept statement on `exec` (it is for schema changes); `CHECKPOINT` is neither a data statement nor a schema
 * change, so `query` hands it to PGlite as it is, under PGlite's locks (it waits for an open transaction).
 */
export interface WalQueryClient {
  query<T>(text: string): Promise<{ rows: T[] }>;
}

const WAL_DISTANCE_QUERY =
  "select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::text as wal_bytes from pg_control_checkpoint()";

/** `pg_wal_lsn_diff` is a whole number of bytes (numeric, read as text). */
const walDistanceRowSchema = z.object({
  wal_bytes: z
    .string()
    .regex(/^\d+$/)
    .transform((text) => Number(text)),
});

const thresholdSchema = z.number().int().positive();

/**
 * Measures the WAL written since the last checkpoint's redo point and runs `CHECKPOINT` when it is at least
 * `thresholdBytes`.
 * @param client PGlite (the agent's gated, prepared-statement client).
 * @param thresholdBytes A positive whole number of bytes; default one WAL segment.
 * @returns The WAL measured, whether a checkpoint ran, and how long it took. Throws what the client throws.
 */
export async function checkpointIfDue(
  client: WalQueryClient,
  thresholdBytes: number = DEFAULT_WAL_CHECKPOINT_BYTES,
): Promise<CheckpointIfDueReturnType> {
  const threshold = thresholdSchema.parse(thresholdBytes);
  const { rows } = await client.query<unknown>(WAL_DISTANCE_QUERY);
  const { wal_bytes: walBytes } = walDistanceRowSchema.parse(rows[0]);
  if (walBytes < threshold) return { walBytes, checkpointed: false, checkpointMs: 0 };
  const startedAt = performance.now();
  await client.query("checkpoint");
  return { walBytes, checkpointed: true, checkpointMs: performance.now() - startedAt };
}
