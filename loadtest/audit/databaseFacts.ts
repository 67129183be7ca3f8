/**
 * What the agents' shared PostgreSQL says: the stored workouts of the simulated users, the chain transactions
 * the relayer and keeper recorded, and the audit log's settlement entries.
 */
import pg from "pg";

export interface DatabaseFacts {
  /** `${owner}:${contentHash}` → stored rows (ids). */
  workouts: Map<string, string[]>;
  chainTransactions: {
    kind: string;
    commitmentId: string;
    milestoneIndex: number;
    nonce: number | null;
    txHash: string | null;
    status: string;
    lastError: string | null;
  }[];
  /** `${commitmentId}:${milestoneIndex}` of the milestones the agents' oracle attested. */
  attested: Set<string>;
  /** `${actor}:${commitmentId}:${milestoneIndex}` for the relayer's, keeper's and oracle's entries. */
  auditEntries: Set<string>;
  /** The indexer's cache row of each commitment (commitment id → row), to explain a milestone left unsettled. */
  cachedCommitments: Map<string, CachedCommitment>;
}

/** What the agents' cache (`commitments_cache`) holds of a commitment. */
export interface CachedCommitment {
  closed: boolean;
  milestoneStates: string[];
  start: number;
  updatedBlock: number;
  updatedAt: string;
}

export async function readDatabaseFacts(databaseUrl: string, owners: string[]): Promise<DatabaseFacts> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const workouts = new Map<string, string[]>();
    const rows = await client.query<{ id: string; owner: string; content_hash: string }>(
      "select id, owner, content_hash from workouts where owner = any($1::text[])",
      [owners.map((o) => o.toLowerCase())],
    );
    for (const row of rows.rows) {
      const key = `${row.owner}:${row.content_hash}`;
      workouts.set(key, [...(workouts.get(key) ?? []), row.id]);
    }
    const txs = await client.query<{
      kind: string;
      commitment_id: string;
      milestone_index: number;
      nonce: string | null;
      tx_hash: string | null;
      status: string;
      last_error: string | null;
    }>(
      "select kind, commitment_id::text, milestone_index, nonce, tx_hash, status, last_error from chain_transactions",
    );
    const attestations = await client.query<{ commitment_id: string; milestone_index: number }>(
      "select commitment_id::text, milestone_index from attestations",
    );
    const audit = await client.query<{
      actor: string;
      subject: string | null;
      cid: string | null;
      idx: string | null;
    }>(
      `select actor, subject, details->>'commitmentId' as cid, details->>'milestoneIndex' as idx
         from audit_log where actor in ('relayer', 'keeper', 'oracle')`,
    );
    const cached = await client.query<{
      commitment_id: string;
      closed: boolean;
      milestone_states: string[];
      start: string;
      updated_block: string;
      updated_at: Date;
    }>(
      "select commitment_id::text, closed, milestone_states, start, updated_block, updated_at from commitments_cache",
    );
    const auditEntries = new Set<string>();
    for (const row of audit.rows) {
      const cid = row.cid ?? row.subject?.split(":").pop();
      if (cid !== undefined && row.idx !== null) auditEntries.add(`${row.actor}:${cid}:${row.idx}`);
    }
    return {
      workouts,
      chainTransactions: txs.rows.map((r) => ({
        kind: r.kind,
        commitmentId: r.commitment_id,
        milestoneIndex: r.milestone_index,
        nonce: r.nonce === null ? null : Number(r.nonce),
        txHash: r.tx_hash,
        status: r.status,
        lastError: r.last_error,
      })),
      attested: new Set(attestations.rows.map((r) => `${r.commitment_id}:${r.milestone_index}`)),
      auditEntries,
      cachedCommitments: new Map(
        cached.rows.map((r) => [
          r.commitment_id,
          {
            closed: r.closed,
            milestoneStates: r.milestone_states,
            start: Number(r.start),
            updatedBlock: Number(r.updated_block),
            updatedAt: r.updated_at.toISOString(),
          },
        ]),
      ),
    };
  } finally {
    await client.end();
  }
}
