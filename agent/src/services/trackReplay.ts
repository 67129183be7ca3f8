/**
 * `replayed_track` against the stored fingerprints of every accepted track, whoever uploaded it (see
 * docs/oracle-integrity.md): the activity's probe hashes go to the index (`evidence.findCandidates`, one
 * index scan grouped by workout), the best candidates' fingerprints are read back and compared exactly
 * (`compareTracks`), and the activity is a replay when replayed stretches of any candidates together cover
 * FINGERPRINT.minReplayedShare of it. The answer never says whose track it replays.
 */
import type { EvidenceRepository, SegmentHashRow } from "../store/evidenceRepository.ts";
import { SEGMENT_HASHES_MAX } from "../store/evidenceRepository.ts";
import type { Reason, RejectionCode } from "../workouts/reasons.ts";
import type { SampleSummary } from "../workouts/sampleSummary.ts";
import {
  type CompactTrackFingerprint,
  compactFingerprintOf,
  compareTracks,
  decodeVertices,
  FINGERPRINT,
  probesOf,
  replayedShare,
  segmentHashesOf,
  type TrackComparison,
  verticesOf,
} from "../workouts/trackFingerprint.ts";

/** Candidates compared exactly per activity (most index hits first). */
export const REPLAY_CANDIDATES = 10;

/**
 * An activity's track fingerprint, in flat arrays (see `CompactTrackFingerprint`): the parse worker computes it
 * with the file (`ParsedWorkout.fingerprint`), off the event loop; `trackFingerprintOf` computes it here for
 * activities that come without one (provider data, parsing in process).
 */
export type TrackFingerprintOf = CompactTrackFingerprint;

/** The fingerprint of an activity's track, or undefined when the track is too short to judge (< 400 m). */
export function trackFingerprintOf(samples: SampleSummary): TrackFingerprintOf | undefined {
  return compactFingerprintOf(samples.track ?? []);
}

/** The rows the store keeps of a fingerprint's segment hashes. */
export function segmentHashRowsOf(fingerprint: TrackFingerprintOf): SegmentHashRow[] {
  // compactFingerprintOf keeps at most FINGERPRINT.maxSegmentHashes, the store's SEGMENT_HASHES_MAX.
  return segmentHashesOf(fingerprint);
}

export interface FindReplayReturnType {
  /** The replayed share of the track (0..1). */
  share: number;
  comparisons: TrackComparison[];
  reason: Reason<RejectionCode> | undefined;
}

export async function findReplay(
  evidence: Pick<EvidenceRepository, "findCandidates" | "getFingerprints">,
  fingerprint: TrackFingerprintOf,
): Promise<FindReplayReturnType> {
  const hashes = [...new Set(fingerprint.probeHashes)].slice(0, SEGMENT_HASHES_MAX);
  // A candidate must share a few windows at least: 5 % of what the track itself indexes, at least 3.
  const minHits = Math.max(3, Math.floor(fingerprint.segmentHashes.length * 0.05));
  const candidates = await evidence.findCandidates({ hashes, minHits, limit: REPLAY_CANDIDATES });
  if (candidates.length === 0) return { share: 0, comparisons: [], reason: undefined };
  const stored = await evidence.getFingerprints(candidates.map((c) => c.workoutId));
  // Objects only now, for the rare activity with candidates to compare.
  const vertices = verticesOf(fingerprint);
  const probes = probesOf(fingerprint);
  const comparisons = stored.map((row) => compareTracks(vertices, decodeVertices(row.vertices), probes));
  const share = replayedShare(vertices, comparisons);
  const reason: Reason<RejectionCode> | undefined =
    share >= FINGERPRINT.minReplayedShare
      ? {
          code: "replayed_track",
          message: `The track reproduces an earlier accepted track (${Math.round(share * 100)} % of its length): the same geometry and timing, moved, re-timed or rescaled.`,
        }
      : undefined;
  return { share, comparisons, reason };
}
