/**
 * The agent API calls the quorum needs, against any oracle agent (its base URL), with the same typed errors as
 * the app's own client (api/agentClient.ts): `ProblemError`, `AgentUnreachableError`, `BadResponseError`. Every
 * POST carries an `Idempotency-Key`; a call that takes longer than its timeout counts as unreachable.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import { errorFrom, ProblemError, parseAnswer, sendTo } from "../api/agentClient.ts";
import {
  type ApiCommitment,
  type Attestation,
  attestationSchema,
  commitmentSchema,
  nonceSchema,
  type Session,
  type Sport,
  sessionSchema,
  uploadSchema,
  verifySchema,
  type Workout,
  workoutListSchema,
} from "../api/schemas.ts";

const TIMEOUT_MS = 10_000;

export const agentStatusSchema = z.object({
  oracle: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .transform((a) => a as Address)
    .nullable(),
  chainId: z.number().int().positive(),
  vault: z.string().nullable(),
  relayer: z.object({ enabled: z.boolean() }),
});
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const relayResultSchema = z.object({
  status: z.enum(["pending", "confirmed", "reverted", "failed"]),
  txHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .transform((h) => h as Hex)
    .nullable(),
  submitted: z.boolean(),
});
export type RelayResult = z.infer<typeof relayResultSchema>;

interface Call {
  method?: "GET" | "POST";
  json?: unknown;
  form?: FormData;
  timeoutMs?: number;
}

export async function agentRequest<T extends z.ZodType>(
  baseUrl: string,
  path: string,
  schema: T,
  call: Call = {},
): Promise<z.infer<T>> {
  const res = await sendTo(baseUrl, path, { ...call, timeoutMs: call.timeoutMs ?? TIMEOUT_MS });
  if (!res.ok) throw await errorFrom(res);
  return parseAnswer(res, path, schema);
}

export function fetchAgentStatus(baseUrl: string): Promise<AgentStatus> {
  return agentRequest(baseUrl, "/api/status", agentStatusSchema, { timeoutMs: 5_000 });
}

/** The agent's session, or null when signed out there (200 null; 401 from older agents). */
export async function fetchAgentSession(baseUrl: string): Promise<Session | null> {
  try {
    return await agentRequest(baseUrl, "/api/auth/session", sessionSchema.nullable(), { timeoutMs: 5_000 });
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return null;
    throw error;
  }
}

export function fetchAgentNonce(baseUrl: string) {
  return agentRequest(baseUrl, "/api/auth/nonce", nonceSchema, { method: "POST" });
}

export function verifyAgentSignIn(baseUrl: string, message: string, signature: Hex) {
  return agentRequest(baseUrl, "/api/auth/verify", verifySchema, { json: { message, signature } });
}

export async function uploadToAgent(baseUrl: string, file: File, sport?: Sport): Promise<Workout[]> {
  const form = new FormData();
  form.append("file", file, file.name);
  if (sport !== undefined) form.append("sport", sport);
  return (await agentRequest(baseUrl, "/api/workouts/upload", uploadSchema, { form, timeoutMs: 60_000 }))
    .workouts;
}

export function fetchAgentCommitment(baseUrl: string, id: bigint): Promise<ApiCommitment> {
  return agentRequest(baseUrl, `/api/commitments/${id}`, commitmentSchema);
}

/** At most this many pages of 100 workouts per agent. */
const WORKOUT_PAGES = 5;

export async function listAgentWorkouts(baseUrl: string): Promise<Workout[]> {
  const all: Workout[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < WORKOUT_PAGES; page++) {
    const query = new URLSearchParams({ limit: "100" });
    if (cursor) query.set("cursor", cursor);
    const body = await agentRequest(baseUrl, `/api/workouts?${query}`, workoutListSchema);
    all.push(...body.workouts);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return all;
}

/** The oracle's signature over the canonical evidence set, or over `workouts` (content hashes) when given. */
export function requestAttestation(
  baseUrl: string,
  id: bigint,
  index: number,
  workouts?: readonly Hex[],
): Promise<Attestation> {
  return agentRequest(baseUrl, `/api/commitments/${id}/milestones/${index}/attestation`, attestationSchema, {
    method: "POST",
    ...(workouts === undefined ? {} : { json: { workouts } }),
  });
}

/** The gasless claim: the agent's relayer submits it with its own signature plus `signatures`. */
export function requestRelayedClaim(
  baseUrl: string,
  id: bigint,
  index: number,
  body: { signatures: readonly { signer: Address; signature: Hex }[]; workouts?: readonly Hex[] },
): Promise<RelayResult> {
  return agentRequest(baseUrl, `/api/commitments/${id}/milestones/${index}/claim`, relayResultSchema, {
    json: body.workouts === undefined ? { signatures: body.signatures } : body,
    timeoutMs: 30_000,
  });
}
