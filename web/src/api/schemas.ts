/**
 * zod schemas of every agent response the app reads (PRODUCT.md, "The agent"). The app parses each response
 * and uses only the parsed value; a response that does not match is an error, never half-rendered data.
 */
import { getAddress } from "viem";
import { z } from "zod";

const hex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/)
  .transform((s) => s as `0x${string}`);
/** A 32-byte hex value (a hash), as `0x…`. */
export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((s) => s as `0x${string}`);
/** An address, checksummed. */
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((a) => getAddress(a));
/** A uint as a decimal string or a safe integer number. */
const uint = z.union([z.string().regex(/^\d{1,78}$/), z.number().int().min(0)]).transform((v) => BigInt(v));
const isoTime = z.iso.datetime({ offset: true });

export const problemSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().int().optional(),
  detail: z.string().optional(),
  code: z.string().optional(),
  field: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const nonceSchema = z.object({
  nonce: z.string().min(8).max(96),
  domain: z.string().min(1),
  uri: z.string().min(1),
  chainId: z.number().int().positive(),
});

export const verifySchema = z.object({ address });

export const sessionSchema = z.object({ address, chainId: z.number().int().positive(), expiresAt: isoTime });
export type Session = z.infer<typeof sessionSchema>;

export const rulesHashSchema = z.object({ rulesHash: bytes32, canonical: z.string().optional() });

/** The seven sports (the shared vocabulary: agent, web app and rules document use the same list). */
export { SPORTS, type Sport } from "@resolution-autopilot/vocabulary";

const reasonSchema = z.object({ code: z.string(), message: z.string() });
export type Reason = z.infer<typeof reasonSchema>;

const milestoneRef = z.object({ commitmentId: z.string(), milestoneIndex: z.number().int().min(0) });

/** Where a workout's sport comes from: named by the file, inferred from its data, declared by you, or open. */
export const SPORT_ORIGINS = ["named", "inferred", "declared", "unknown"] as const;
export type SportOrigin = (typeof SPORT_ORIGINS)[number];

/** `verdict.sport`: the agent says what it inferred and from what; `declarable` when the file left it open. */
export const sportVerdictSchema = z.object({
  origin: z.enum(SPORT_ORIGINS),
  declarable: z.boolean(),
  message: z.string().max(500).optional(),
  inferred: z
    .object({
      sport: z.string(),
      candidate: z.string(),
      confidence: z.number().min(0).max(1),
      basis: z.array(z.string()).max(20),
    })
    .optional(),
  fileSport: z.string().optional(),
});
export type SportVerdict = z.infer<typeof sportVerdictSchema>;

export const workoutSchema = z.object({
  id: z.string(),
  source: z.string(),
  contentHash: hex.optional(),
  sport: z.string(),
  startTime: isoTime,
  durationSec: z.number().min(0),
  elapsedSec: z.number().min(0).nullish(),
  distanceM: z.number().min(0).nullish(),
  avgHeartRate: z.number().min(0).nullish(),
  verdict: z.object({
    status: z.enum(["accepted", "rejected"]),
    reasons: z.array(reasonSchema),
    countsFor: z.array(milestoneRef),
    /** Where an accepted workout does not count, and why (optional; the routes may name it differently). */
    notCounted: z
      .array(
        z.object({
          commitmentId: z.string(),
          milestoneIndex: z.number().int().min(0).nullish(),
          reasons: z.array(reasonSchema),
        }),
      )
      .optional(),
    /** Absent from agents older than sport inference. */
    sport: sportVerdictSchema.optional(),
  }),
  /** The human review, when the owner asked for one (`GET /api/workouts`). */
  review: z.object({ status: z.enum(["pending", "accepted", "rejected"]) }).optional(),
});
export type Workout = z.infer<typeof workoutSchema>;

/** `PATCH /api/workouts/:id` answers the workout with its declared sport. */
export const declaredWorkoutSchema = z.object({ workout: workoutSchema });

export const uploadSchema = z.object({ workouts: z.array(workoutSchema).max(100) });
export const workoutListSchema = z.object({
  workouts: z.array(workoutSchema).max(500),
  nextCursor: z.string().nullish(),
});

const milestoneSchema = z.object({
  index: z.number().int().min(0),
  windowStart: isoTime,
  windowEnd: isoTime,
  claimDeadline: isoTime,
  state: z.string(),
  amount: uint,
  /** null for a window that has not opened, or when the agent does not know the rules. */
  progress: z
    .object({
      done: z.number().int().min(0),
      required: z.number().int().min(0),
      met: z.boolean(),
      workouts: z.array(z.string()).optional(),
    })
    .nullable(),
  claimable: z.boolean(),
});
export type ApiMilestone = z.infer<typeof milestoneSchema>;

export const commitmentSchema = z.looseObject({
  id: z.string().regex(/^\d+$/),
  rulesKnown: z.boolean().optional(),
  milestones: z.array(milestoneSchema).max(104),
});
export type ApiCommitment = z.infer<typeof commitmentSchema>;
export const commitmentListSchema = z.object({ commitments: z.array(commitmentSchema).max(500) });

export const attestationSchema = z.object({
  commitmentId: uint,
  milestoneIndex: uint,
  evidenceHash: bytes32,
  validUntil: uint,
  signer: address,
  signature: hex,
});
export type Attestation = z.infer<typeof attestationSchema>;

export const toolCallSchema = z.looseObject({
  name: z.string(),
  arguments: z.unknown().optional(),
  args: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const agentReplySchema = z.looseObject({
  reply: z.string(),
  toolCalls: z.array(toolCallSchema).max(50).default([]),
  conversationId: z.string().optional(),
});
export type AgentReply = z.infer<typeof agentReplySchema>;

export const nudgeSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  message: z.string().optional(),
  text: z.string().optional(),
  body: z.string().optional(),
  channel: z.string().optional(),
  createdAt: isoTime.optional(),
  status: z.string().optional(),
});
export type Nudge = z.infer<typeof nudgeSchema>;
export const nudgeListSchema = z.looseObject({ nudges: z.array(nudgeSchema).max(500) });

export const CHANNELS = ["inApp", "email", "webhook"] as const;
export const preferencesSchema = z.looseObject({});
export const calendarSchema = z.looseObject({});

/** `GET /api/preferences`: what the owner saved, else the agent's defaults (`saved: false`). */
export const savedPreferencesSchema = z.looseObject({
  channels: z.array(z.enum(CHANNELS)).max(3),
  timezone: z.string().max(100).nullable(),
  quietHours: z.object({ start: z.string().regex(/^\d{2}:\d{2}$/), end: z.string().regex(/^\d{2}:\d{2}$/) }),
  email: z.string().max(320).nullable(),
  webhookUrl: z.string().max(2048).nullable(),
  saved: z.boolean(),
});
export type SavedPreferences = z.infer<typeof savedPreferencesSchema>;

/** `GET /api/providers/strava`: whether a Strava athlete is linked to the signed-in wallet. */
export const stravaLinkSchema = z.looseObject({
  linked: z.boolean(),
  athleteId: z.string().max(40).nullable(),
  scope: z.string().max(200).nullable(),
  revoked: z.boolean(),
  linkedAt: isoTime.nullable(),
  syncedUntil: isoTime.nullable(),
});
export type StravaLink = z.infer<typeof stravaLinkSchema>;

/** `GET /api/providers/strava/connect`: Strava's authorisation page to send the browser to. */
export const stravaConnectSchema = z.object({ authorizeUrl: z.url({ protocol: /^https?$/ }) });

/** An answer whose body the app does not read (204 No Content reads as `{}`). */
export const noContentSchema = z.looseObject({});

/** The part of the public `GET /api/status` about activity providers (absent from older agents). */
export const agentProvidersSchema = z.looseObject({
  providers: z.looseObject({ strava: z.boolean() }).optional(),
});
