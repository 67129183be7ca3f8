/**
 * The commitment routes, mounted at `/api/commitments` (every route needs a session; only the commitment's owner
 * sees or acts on it):
 * - `GET /` → `{ commitments: [Commitment] }` (the owner's, from the indexer's cache, ascending id);
 * - `GET /:id` → `Commitment` (read through from the chain on a cache miss when a VaultReader is given);
 * - `POST /:id/milestones/:index/attestation` (body optional: `{ workouts: ["0x<contentHash>", …] }`, the evidence
 *   set to sign; without it the canonical set) → `200 { commitmentId, milestoneIndex, evidenceHash, validUntil,
 *   signer, signature }`, or a 409 naming what is missing or the failing workout (services/issueAttestation.ts);
 * - `POST /:id/milestones/:index/claim` (body optional: `{ signatures: [{ signer, signature }], workouts }`) → `202 { status,
 *   txHash, submitted }` through the relayer; 503 `relayer_disabled` when there is none.
 * `:id` is a decimal uint256 and `:index` a milestone number (400 otherwise). Without a configured vault every route
 * answers 503 `vault_not_configured`. Both POSTs honour `Idempotency-Key`.
 */
import { MAX_MILESTONES } from "@resolution-autopilot/vocabulary/contractLimits";
import { type Request, Router } from "express";
import { z } from "zod";
import type { AttestationSigner } from "../attestation/signer.ts";
import { requireSession, sessionOf } from "../auth/session.ts";
import type { ClaimRelayer, VaultReader } from "../chain/ports.ts";
import type { Clock } from "../clock.ts";
import { DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { EVIDENCE_SET_MAX } from "../services/chooseEvidenceSet.ts";
import { createRulesLookup } from "../services/commitmentRules.ts";
import { describeCommitment, exitAvailableOf } from "../services/describeCommitment.ts";
import type { CommitmentViewCache } from "../services/commitmentViewCache.ts";
import {
  findCommitment,
  findOwnedCommitment,
  findOwnedCommitmentWithWorkouts,
  requireOwner,
} from "../services/findOwnedCommitment.ts";
import { issueAttestation } from "../services/issueAttestation.ts";
import { relayMilestoneClaim } from "../services/relayMilestoneClaim.ts";
import type { ChainTarget, ServiceContext } from "../services/serviceContext.ts";
import { COMMITMENTS_PAGE_DEFAULT } from "../store/commitmentsRepository.ts";
import type { Store } from "../store/store.ts";
import { addressSchema, bytes32Schema } from "../store/values.ts";
import { idempotency } from "./idempotency.ts";
import { parseJsonBody, parseParams } from "./parseRequest.ts";
import { sendJson, sendJsonBytes } from "./sendJson.ts";

export interface CommitmentsRouterParameters {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  /** The chain and vault served; undefined → every route answers 503 `vault_not_configured`. */
  chain: ChainTarget | undefined;
  /** The oracle key; without it attestations answer 503 `oracle_not_configured`. */
  signer?: AttestationSigner | undefined;
  /** Chain reads: cache read-through, pause-aware deadlines, the oracle set for claims. */
  reader?: VaultReader | undefined;
  /** The gasless relayer; without it claims answer 503 `relayer_disabled`. */
  relayer?: ClaimRelayer | undefined;
  /** How long an Idempotency-Key is remembered, ms. */
  idempotencyTtlMs?: number;
  /** The app's request timeout, ms (`Idempotency-Key`'s lease for a killed holder is longer). */
  requestTimeoutMs?: number;
  /** Remembers `GET /:id` answers (subscribed to the store's changes by whoever builds it); none → every GET reads. */
  views?: CommitmentViewCache | undefined;
}

export type CommitmentsRouterReturnType = Router;

const MAX_UINT256 = 2n ** 256n - 1n;
/** Most extra oracle signatures a claim may carry (the vault's oracle set is far smaller). */
const MAX_EXTRA_SIGNATURES = 32;

const commitmentIdSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, "must be a decimal uint256 (digits, no leading zeros)")
  .transform((raw) => BigInt(raw))
  .refine((id) => id <= MAX_UINT256, "must be a decimal uint256 (digits, no leading zeros)");

const milestoneIndexSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})$/, `must be a milestone number from 0 to ${MAX_MILESTONES - 1}`)
  .transform(Number)
  .refine((index) => index < MAX_MILESTONES, `must be a milestone number from 0 to ${MAX_MILESTONES - 1}`);

export const idParams = z.object({ id: commitmentIdSchema });
export const milestoneParams = z.object({ id: commitmentIdSchema, index: milestoneIndexSchema });

/** An evidence set asked for: distinct workout content hashes. */
const evidenceWorkouts = z
  .array(bytes32Schema)
  .min(1)
  .max(EVIDENCE_SET_MAX)
  .refine((hashes) => new Set(hashes).size === hashes.length, "must not list a workout twice");

export const attestationBody = z.strictObject({ workouts: evidenceWorkouts.optional() });

export const claimBody = z.strictObject({
  workouts: evidenceWorkouts.optional(),
  signatures: z
    .array(
      z.strictObject({
        signer: addressSchema,
        signature: z
          .string()
          .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature (0x + 130 hex)")
          .transform((raw) => raw.toLowerCase() as `0x${string}`),
      }),
    )
    .max(MAX_EXTRA_SIGNATURES)
    .optional(),
});

export function commitmentsRouter(parameters: CommitmentsRouterParameters): CommitmentsRouterReturnType {
  const { store, logger, signer, reader, relayer, views } = parameters;
  const ttl = {
    ...(parameters.idempotencyTtlMs !== undefined ? { ttlMs: parameters.idempotencyTtlMs } : {}),
    ...(parameters.requestTimeoutMs !== undefined ? { requestTimeoutMs: parameters.requestTimeoutMs } : {}),
  };
  const router = Router();

  const contextOf = (): ServiceContext & { chain: ChainTarget } => {
    const { chain } = parameters;
    if (chain === undefined) {
      throw new DependencyError({
        code: "vault_not_configured",
        message: "This agent serves no vault (VAULT_ADDRESS is not set).",
      });
    }
    return { store, clock: parameters.clock, metrics: parameters.metrics, logger, chain };
  };
  const ownerOf = (req: Request) => sessionOf(req).address;

  router.use(requireSession);

  router.get("/", async (req, res) => {
    const context = contextOf();
    const commitments = await store.commitments.listByOwner({
      chainId: context.chain.chainId,
      vault: context.chain.vault,
      owner: ownerOf(req),
      limit: COMMITMENTS_PAGE_DEFAULT,
    });
    const rules = createRulesLookup({ repositories: store });
    const exitAvailable = await exitAvailableOf(reader, context.logger);
    const views = [];
    for (const commitment of commitments) {
      views.push(
        await describeCommitment(context, {
          commitment,
          reader,
          rules,
          chainDeadlines: "opened",
          exitAvailable,
        }),
      );
    }
    sendJson(res, { commitments: views });
  });

  router.get("/:id", async (req, res) => {
    const { id } = parseParams(req, idParams);
    const owner = ownerOf(req);
    const remembered = views?.peek(id);
    if (remembered !== undefined) {
      requireOwner({ owner, commitmentId: id, actualOwner: remembered.owner });
      sendJsonBytes(res, remembered.body);
      return;
    }
    const context = contextOf();
    if (views === undefined) {
      // One statement for the row and its owner's workouts; someone else's commitment is refused before anything
      // is built for it (and their workouts are not read).
      const { commitment, workouts } = await findOwnedCommitmentWithWorkouts(context, {
        owner,
        commitmentId: id,
        reader,
      });
      sendJson(res, await describeCommitment(context, { commitment, reader, workouts }));
      return;
    }
    // One row first: someone else's commitment is refused before anything is built for it.
    await findOwnedCommitment(context, { owner, commitmentId: id, reader });
    // Built from its own read of the row (taken after the cache's stamp, and the same for whoever asks), so
    // concurrent owners can share it; the owner is checked again on what comes back.
    const built = await views.get(id, async () =>
      describeCommitment(context, {
        commitment: await findCommitment(context, { commitmentId: id, reader }),
        reader,
      }),
    );
    requireOwner({ owner, commitmentId: id, actualOwner: built.owner });
    sendJsonBytes(res, built.body);
  });

  router.post(
    "/:id/milestones/:index/attestation",
    idempotency({ store, logger, ...ttl }),
    async (req, res) => {
      const { id, index } = parseParams(req, milestoneParams);
      const { workouts } = parseJsonBody(req, attestationBody);
      const { attestation } = await issueAttestation(contextOf(), {
        owner: ownerOf(req),
        commitmentId: id,
        milestoneIndex: index,
        signer,
        reader,
        workouts,
      });
      res.json(attestation);
    },
  );

  router.post("/:id/milestones/:index/claim", (req, _res, next) => {
    // The request is checked first: a malformed claim (path or body) is a 400 whether or not this agent relays.
    parseParams(req, milestoneParams);
    parseJsonBody(req, claimBody);
    if (relayer === undefined) {
      throw new DependencyError({
        code: "relayer_disabled",
        message: "Gasless claims are not enabled on this agent; submit the attestation from your wallet.",
      });
    }
    next();
  });
  router.post("/:id/milestones/:index/claim", idempotency({ store, logger, ...ttl }), async (req, res) => {
    const { id, index } = parseParams(req, milestoneParams);
    const body = parseJsonBody(req, claimBody);
    const context = contextOf();
    if (reader === undefined || relayer === undefined) {
      throw new DependencyError({
        code: "chain_unavailable",
        message: "Relaying a claim needs a chain reader, and none is configured.",
      });
    }
    const result = await relayMilestoneClaim(context, {
      owner: ownerOf(req),
      commitmentId: id,
      milestoneIndex: index,
      signer,
      reader,
      relayer,
      workouts: body.workouts,
      signatures: (body.signatures ?? []).map((s) => ({ signer: s.signer, signature: s.signature })),
    });
    res.status(202).json(result);
  });

  return router;
}
