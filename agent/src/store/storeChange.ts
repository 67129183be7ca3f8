/**
 * A write a commitment's view depends on, as the store reports it once durable (storeChanges.ts publishes them).
 * A module of its own, importing nothing, so the database contract can name it without an import cycle.
 */
export type StoreChange =
  /** Workouts of `owner` were stored, or one's sport was declared. */
  | { kind: "workouts"; owner: string }
  /**
   * Commitment `commitmentId` (decimal) was written (`owner`: its owner now, which an indexer upsert after a reorg
   * may have changed) or deleted (`owner` null: the row is gone, its owner unknown).
   */
  | { kind: "commitment"; commitmentId: string; owner: string | null }
  /** A rules document was stored. */
  | { kind: "rulesDocument"; rulesHash: string };
