/**
 * PGlite's write-ahead log, kept bounded.
 *
 * PGlite runs PostgreSQL as a single-user backend, without the checkpointer process a server has. A server starts
 * a checkpoint when `max_wal_size` worth of WAL has been written; the single-user backend never does
 * (PostgreSQL's `XLogWrite` asks for one only under a postmaster), so every WAL segment since the last checkpoint
 * (the one PGlite wrote when it opened) is kept. Measured: 100,000 one-row inserts left 96 MiB of WAL
 * with `max_wal_size=64MB`, and it kept growing, about 1-2 KiB per stored workout. With `memory://` that is the
 * process's memory; on disk it is disk space, and a crash replays all of it at the next start.
 *
 * So the agent checkpoints PGlite itself: `checkpointIfDue` runs `CHECKPOINT` once the WAL written since the last
 * checkpoint's redo point reaches `thresholdBytes` (default one 16 MiB segment). After a checkpoint PostgreSQL
 * removes or recycles the segments before it; `PGLITE_WAL_START_PARAMS` caps the recycled ones it keeps at two
 * segments (`min_wal_size=32MB`, the least PostgreSQL accepts). The WAL then stays under about 48 MiB.
 * A checkpoint writes PGlite's dirty pages to its file system: ~10 ms of the event loop after 30,000 inserts.
 */
import { z } from "zod";

/** One WAL segment: PGlite's `wal_segment_size`. */
export const DEFAULT_WAL_CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** Settings PGlite starts with (after its own defaults): keep at most two recycled WAL segments. */
export const PGLITE_WAL_START_PARAMS: readonly string[] = ["-c", "min_wal_size=32MB"];

export interface WalCheckpoint {
  /** WAL written since the last checkpoint's redo point, when checked (before any checkpoint this call ran). */
  walBytes: number;
  /** True when this call ran `CHECKPOINT`. */
  checkpointed: boolean;
}

/** What the check needs of PGlite: one query at a time, through the agent's gated client. */
export interface WalQueryClient {
  query<T>(text: string): Promise<{ rows: T[] }>;
  exec(text: string): Promise<unknown>;
}

const walDistanceRowSchema = z.object({ wal_bytes: z.coerce.number().int().min(0) });

/** The WAL since the last checkpoint's redo point; `CHECKPOINT` when it is at least `thresholdBytes`. */
export async function checkpointIfDue(
  client: WalQueryClient,
  thresholdBytes: number = DEFAULT_WAL_CHECKPOINT_BYTES,
): Promise<WalCheckpoint> {
  const { rows } = await client.query<unknown>(
    "select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::text as wal_bytes from pg_control_checkpoint()",
  );
  const { wal_bytes: walBytes } = walDistanceRowSchema.parse(rows[0]);
  if (walBytes < thresholdBytes) return { walBytes, checkpointed: false };
  await client.exec("checkpoint");
  return { walBytes, checkpointed: true };
}
