/**
 * Milestone attestations this agent's oracle key(s) signed: the latest one per (chain, vault, commitment,
 * milestone, signer). `getOrCreate` keeps the first; `put` keeps the latest (an oracle may sign several evidence
 * sets for one milestone, each audit-logged by the caller; a signature it gave stays valid on chain anyway).
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { firstOrNull, onVault, parsedMethod } from "./repositoryMethods.ts";
import { attestations } from "./schema.ts";
import {
  addressSchema,
  bytes32Schema,
  hexBytesSchema,
  safeUintSchema,
  toAddress,
  toHex,
  uint256Schema,
} from "./values.ts";
import { type VaultKey, vaultKeySchema, vaultOf } from "./vaultKeys.ts";

export interface MilestoneKey extends VaultKey {
  commitmentId: bigint;
  milestoneIndex: number;
}

export interface AttestationKey extends MilestoneKey {
  signer: string;
}

export interface NewAttestation extends AttestationKey {
  evidenceHash: string;
  /** Unix seconds. */
  validUntil: number;
  signature: string;
}

export interface AttestationRecord {
  chainId: number;
  vault: Address;
  commitmentId: bigint;
  milestoneIndex: number;
  signer: Address;
  evidenceHash: Hex;
  validUntil: number;
  signature: Hex;
  createdAt: Date;
}

export interface GetOrCreateAttestationReturnType {
  attestation: AttestationRecord;
  /** False when an attestation already existed (it is returned unchanged, whatever was passed now). */
  created: boolean;
}

export interface AttestationsRepository {
  getOrCreate(attestation: NewAttestation): Promise<GetOrCreateAttestationReturnType>;
  /**
   * Stores this attestation as the signer's latest for the milestone. `created` is false when the stored one
   * already had this evidence hash and validUntil (it is returned unchanged).
   */
  put(attestation: NewAttestation): Promise<GetOrCreateAttestationReturnType>;
  get(key: AttestationKey): Promise<AttestationRecord | null>;
  /** Every stored signer's attestation for one milestone, signers ascending (the order the vault expects). */
  listForMilestone(key: MilestoneKey): Promise<AttestationRecord[]>;
}

const milestoneKeySchema = vaultKeySchema.extend({
  commitmentId: uint256Schema,
  milestoneIndex: z.number().int().min(0).max(103),
});
const attestationKeySchema = milestoneKeySchema.extend({ signer: addressSchema });
const newAttestationSchema = attestationKeySchema.extend({
  evidenceHash: bytes32Schema,
  validUntil: safeUintSchema,
  signature: hexBytesSchema,
});

function toRecord(row: typeof attestations.$inferSelect): AttestationRecord {
  return {
    ...vaultOf(row),
    commitmentId: row.commitmentId,
    milestoneIndex: row.milestoneIndex,
    signer: toAddress(row.signer),
    evidenceHash: toHex(row.evidenceHash),
    validUntil: row.validUntil,
    signature: toHex(row.signature),
    createdAt: row.createdAt,
  };
}

export function createAttestationsRepository(db: DatabaseExecutor, clock: Clock): AttestationsRepository {
  const selectOne = async (key: z.output<typeof attestationKeySchema>) => {
    const rows = await db
      .select()
      .from(attestations)
      .where(and(onVault(attestations, key), eq(attestations.signer, key.signer)))
      .limit(1);
    return firstOrNull(rows, toRecord);
  };

  return {
    getOrCreate: parsedMethod(newAttestationSchema, "attestation", "attestation insert", async (input) => {
      // ON CONFLICT DO NOTHING waits for a concurrent insert of the same key, so the select that follows a
      // conflict always finds the winner's row.
      const inserted = await db
        .insert(attestations)
        .values({ ...input, createdAt: new Date(clock.now()) })
        .onConflictDoNothing()
        .returning();
      if (inserted[0] !== undefined) return { attestation: toRecord(inserted[0]), created: true };
      const existing = await selectOne(input);
      if (existing === null) throw new Error("unreachable: conflicting attestation vanished");
      return { attestation: existing, created: false };
    }),

    put: parsedMethod(newAttestationSchema, "attestation", "attestation upsert", async (input) => {
      const existing = await selectOne(input);
      if (
        existing !== null &&
        existing.evidenceHash === input.evidenceHash &&
        existing.validUntil === input.validUntil
      ) {
        return { attestation: existing, created: false };
      }
      const { evidenceHash, validUntil, signature } = input;
      const createdAt = new Date(clock.now());
      const [row] = await db
        .insert(attestations)
        .values({ ...input, createdAt })
        .onConflictDoUpdate({
          target: [
            attestations.chainId,
            attestations.vault,
            attestations.commitmentId,
            attestations.milestoneIndex,
            attestations.signer,
          ],
          set: { evidenceHash, validUntil, signature, createdAt },
        })
        .returning();
      if (row === undefined) throw new Error("unreachable: upsert returned no row");
      return { attestation: toRecord(row), created: true };
    }),

    get: parsedMethod(attestationKeySchema, "attestation key", "attestation lookup", selectOne),

    listForMilestone: parsedMethod(milestoneKeySchema, "milestone key", "attestation list", async (input) => {
      const rows = await db
        .select()
        .from(attestations)
        .where(onVault(attestations, input))
        // Byte order (fixed-length lower-case hex), whatever the database collation.
        .orderBy(asc(sql`${attestations.signer} collate "C"`));
      return rows.map(toRecord);
    }),
  };
}
