/**
 * The agent's challenge routes (issue 14, public; a session only adds `you`) and the rules documents behind a
 * challenge's `rulesHash`, parsed with zod like every other answer (see agentClient.ts for the errors).
 *
 * - `GET /api/challenges?limit&cursor` → one page of challenges (ascending id);
 * - `GET /api/challenges/:id?limit&cursor` → a challenge, `winningsEach`, a page of participants with their
 *   standing, and the caller's seat (`you`);
 * - `GET /api/rules/:hash` → the rules document registered under a hash (404 when the agent never saw it).
 */
import { z } from "zod";
import { rulesDocumentSchema } from "../rules/rulesHash.ts";
import { ProblemError, request } from "./agentClient.ts";
import { address, bytes32 } from "./schemas.ts";

const uint = z
  .string()
  .regex(/^\d{1,78}$/)
  .transform((v) => BigInt(v));
const count = z.number().int().min(0);

export const STANDINGS = ["on_track", "behind", "finished", "out"] as const;
export type Standing = (typeof STANDINGS)[number];
export const PHASES = ["open", "running", "settling", "closed"] as const;
export type ChallengePhase = (typeof PHASES)[number];
export const SEAT_STATUSES = ["joined", "out", "finished", "claimed"] as const;
export type SeatStatus = (typeof SEAT_STATUSES)[number];

export const challengeSchema = z.object({
  id: uint,
  creator: address,
  token: address,
  stake: uint,
  start: count,
  period: count,
  milestones: count,
  grace: count,
  rulesHash: bytes32,
  joinDeadline: count,
  maxParticipants: count,
  feeBps: z.number().int().min(0).max(10_000),
  feeRecipient: address,
  fallbackBeneficiary: address,
  participantCount: count,
  settledCount: count,
  finisherCount: count,
  pot: uint,
  phase: z.enum(PHASES),
});
export type ApiChallenge = z.infer<typeof challengeSchema>;

export const challengeListSchema = z.object({
  challenges: z.array(challengeSchema).max(100),
  nextCursor: z.string().regex(/^\d+$/).nullable(),
});
export type ChallengeList = z.infer<typeof challengeListSchema>;

export const participantSchema = z.object({
  address,
  commitmentId: uint,
  status: z.enum(SEAT_STATUSES),
  standing: z.enum(STANDINGS),
  milestonesReleased: count.nullable(),
  claimable: uint,
});
export type ApiParticipant = z.infer<typeof participantSchema>;

export const challengeDetailSchema = challengeSchema.extend({
  winningsEach: uint.nullable(),
  participants: z.array(participantSchema).max(100),
  nextParticipantCursor: address.nullable(),
  you: participantSchema.nullable(),
});
export type ApiChallengeDetail = z.infer<typeof challengeDetailSchema>;

export const rulesLookupSchema = z.object({ rulesHash: bytes32, rules: rulesDocumentSchema });

/** Challenges per page asked of the agent (its maximum is 100). */
export const CHALLENGES_PAGE = 50;

export function listChallenges(cursor?: string): Promise<ChallengeList> {
  const query = new URLSearchParams({ limit: String(CHALLENGES_PAGE) });
  if (cursor !== undefined) query.set("cursor", cursor);
  return request(`/api/challenges?${query}`, challengeListSchema);
}

export function fetchChallenge(id: bigint, participantCursor?: string): Promise<ApiChallengeDetail> {
  const query = new URLSearchParams({ limit: "100" });
  if (participantCursor !== undefined) query.set("cursor", participantCursor);
  return request(`/api/challenges/${id.toString()}?${query}`, challengeDetailSchema);
}

/** The rules document behind a hash, or null when the agent never saw it (404 `rules_not_found`). */
export async function fetchRules(rulesHash: `0x${string}`) {
  try {
    return (await request(`/api/rules/${rulesHash}`, rulesLookupSchema)).rules;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) return null;
    throw error;
  }
}
