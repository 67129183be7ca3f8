/**
 * The replay index at scale: fills `track_segment_hashes` with ROWS random rows (160 per track, as a 10-km run
 * indexes) in a fresh PostgreSQL schema, then times `evidence.findCandidates` for a query of PROBES distinct
 * hashes (a 10-km track probes 1,500-6,000), and prints the plan. Usage:
 *   node agent/bench/replayLookup.bench.ts [rows=2000000] [probes=5000]
 * Needs PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); drops its schema after.
 */
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { systemClock } from "../src/clock.ts";
import { openDatabase } from "../src/store/database.ts";
import { createStore } from "../src/store/store.ts";

const rows = Number(process.argv[2] ?? 2_000_000);
const probes = Number(process.argv[3] ?? 5_000);
const url = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `replay_bench_${randomBytes(4).toString("hex")}`;
const perTrack = 160;

const database = await openDatabase({
  databaseUrl: url,
  schema,
  pool: { max: 2, statementTimeoutMs: 600_000 },
});
const store = createStore(database, systemClock);
try {
  const tracks = Math.ceil(rows / perTrack);
  let started = Date.now();
  // Workouts (accepted) and their hashes, generated in SQL: 52-bit pseudo-random hashes.
  await database.db.execute(sql`
    insert into workouts (id, owner, source, content_hash, sport, start_time, end_time, duration_sec, elapsed_sec,
      verdict_status, verdict_reasons, created_at)
    select md5('w' || g)::uuid, '0x' || lpad(to_hex(g), 40, '0'), 'fit', '0x' || md5('h' || g) || md5('i' || g),
      'run', now(), now(), 3600, 3600, 'accepted', '[]'::jsonb, now()
    from generate_series(1, ${tracks}) g`);
  await database.db.execute(sql`
    insert into track_segment_hashes (hash, workout_id, position)
    select (('x' || substr(md5(g::text), 1, 13))::bit(52)::bigint), md5('w' || (1 + g / ${perTrack}))::uuid, g % ${perTrack}
    from generate_series(0, ${rows - 1}) g`);
  await database.db.execute(sql`analyze track_segment_hashes`);
  await database.db.execute(sql`analyze workouts`);
  console.log(
    `filled ${rows.toLocaleString()} rows (${tracks.toLocaleString()} tracks) in ${Date.now() - started} ms`,
  );

  // A query: half of its hashes present in the table (a replay of a few stored tracks), half absent.
  const present = (await database.db.execute(
    sql`select hash from track_segment_hashes where workout_id = md5('w1')::uuid or workout_id = md5('w2')::uuid`,
  )) as unknown as { rows: { hash: string }[] };
  const hashes = present.rows.map((r) => Number(r.hash));
  while (hashes.length < probes) hashes.push(Math.floor(Math.random() * 2 ** 52));
  const times: number[] = [];
  let found = 0;
  for (let run = 0; run < 7; run += 1) {
    started = performance.now();
    const candidates = await store.evidence.findCandidates({ hashes, minHits: 8, limit: 10 });
    times.push(performance.now() - started);
    found = candidates.length;
  }
  times.sort((a, b) => a - b);
  console.log(
    `findCandidates with ${probes.toLocaleString()} probe hashes: median ${times[3]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms (${found} candidates)`,
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  const plan = await client.query(
    `explain (analyze, costs off) select workout_id, count(distinct hash) from track_segment_hashes where hash = any($1::bigint[]) group by workout_id`,
    [hashes.slice(0, 2000)],
  );
  console.log(plan.rows.map((r: Record<string, string>) => (r["QUERY PLAN"] ?? "").slice(0, 100)).join("\n"));
  await client.end();
} finally {
  await store.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.end();
}
