/**
 * The gasless claim: the agent's own attestation (issued as by `issueAttestation` when needed), plus any other
 * oracles' signatures the owner collected for a quorum, submitted through the relayer.
 *
 * Every extra signature must sign exactly this attestation (same commitment, milestone, rulesHash, evidenceHash
 * and validUntil; low s) and come from a CURRENT oracle (`VaultReader.oracleSet`): otherwise 422
 * `invalid_signature` / `not_an_oracle` naming `signatures.<i>.…`. Signatures are de-duplicated by signer and
 * sorted by signer ascending, as the vault requires; fewer than `threshold` → 409 `quorum_not_met` (details say
 * which evidence hash and validUntil the other oracles must sign). The relayer answers `{ status, txHash,
 * submitted }` (`submitted: false` when this milestone had already been sent).
 */
import { hasHighS, milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";
import { type Address, type Hex, hexToBigInt, recoverTypedDataAddress } from "viem";
import type { ClaimRelayer, RelayClaimReturnType, VaultReader } from "../chain/ports.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import { type IssueAttestationParameters, issueAttestation } from "./issueAttestation.ts";
import { type ChainTarget, commitmentSubject, type ServiceContext } from "./serviceContext.ts";

export interface OracleSignature {
  signer: Address;
  signature: Hex;
}

export interface RelayMilestoneClaimParameters extends IssueAttestationParameters {
  /** Other oracles' signatures over the same attestation. */
  signatures: readonly OracleSignature[];
  reader: VaultReader;
  relayer: ClaimRelayer;
  /** Who asked, for the audit log: default the owner (`agent` for an automatic claim). */
  actor?: string;
}

export type RelayMilestoneClaimReturnType = RelayClaimReturnType;

/**
 * Relays in flight, per relayer and milestone. The relayer's lease is held per process (a Redis or store lock whose
 * owner is the process renews itself), so two callers in ONE replica — the owner's POST .../claim and an
 * auto-settle run — both passed it, both found the milestone's row not yet signed and both sent a claim: the second
 * reverted, a transaction sent twice for one milestone (found by the load test). A second caller now waits for
 * the first and answers as the relayer does for a milestone already sent; if the first failed, it tries itself.
 */
const relaysInFlight = new WeakMap<ClaimRelayer, Map<string, Promise<RelayClaimReturnType>>>();

async function relayOnce(
  relayer: ClaimRelayer,
  key: string,
  relay: () => Promise<RelayClaimReturnType>,
): Promise<RelayClaimReturnType> {
  let running = relaysInFlight.get(relayer);
  if (running === undefined) {
    running = new Map();
    relaysInFlight.set(relayer, running);
  }
  const first = running.get(key);
  if (first !== undefined) {
    const answer = await first.catch(() => undefined);
    if (answer !== undefined) return { ...answer, submitted: false };
  }
  const attempt = relay();
  running.set(key, attempt);
  try {
    return await attempt;
  } finally {
    if (running.get(key) === attempt) running.delete(key);
  }
}

export async function relayMilestoneClaim(
  context: ServiceContext & { chain: ChainTarget },
  parameters: RelayMilestoneClaimParameters,
): Promise<RelayMilestoneClaimReturnType> {
  const { chain } = context;
  const { reader, relayer, signatures } = parameters;
  const { attestation, commitment } = await issueAttestation(context, parameters);
  const { oracles, threshold } = await reader.oracleSet();
  const current = new Set(oracles.map((o) => o.toLowerCase()));
  const typedData = milestoneAttestationTypedData({
    chainId: chain.chainId,
    vault: chain.vault,
    commitmentId: parameters.commitmentId,
    milestoneIndex: BigInt(parameters.milestoneIndex),
    rulesHash: commitment.rulesHash,
    evidenceHash: attestation.evidenceHash,
    validUntil: BigInt(attestation.validUntil),
  });

  const collected = new Map<string, Hex>();
  if (current.has(attestation.signer.toLowerCase())) {
    collected.set(attestation.signer.toLowerCase(), attestation.signature);
  }
  for (const [i, { signer, signature }] of signatures.entries()) {
    const invalid = (message: string, cause?: unknown) =>
      new ValidationError({
        code: "invalid_signature",
        message: `signatures.${i}.signature: ${message}`,
        details: {
          field: `signatures.${i}.signature`,
          evidenceHash: attestation.evidenceHash,
          validUntil: attestation.validUntil,
        },
        cause,
      });
    if (hasHighS(signature)) throw invalid("high-s signatures are rejected");
    let recovered: Address;
    try {
      recovered = await recoverTypedDataAddress({ ...typedData, signature });
    } catch (cause) {
      throw invalid("is not a valid signature", cause);
    }
    if (recovered.toLowerCase() !== signer.toLowerCase()) {
      throw invalid(
        `does not sign this attestation as ${signer} (evidenceHash ${attestation.evidenceHash}, validUntil ${attestation.validUntil})`,
      );
    }
    if (!current.has(signer.toLowerCase())) {
      throw new ValidationError({
        code: "not_an_oracle",
        message: `signatures.${i}.signer: ${signer} is not one of the vault's current oracles`,
        details: { field: `signatures.${i}.signer` },
      });
    }
    collected.set(signer.toLowerCase(), signature);
  }
  const signers = [...collected.keys()].sort((a, b) =>
    hexToBigInt(a as Hex) < hexToBigInt(b as Hex) ? -1 : 1,
  );
  if (signers.length < threshold) {
    throw new ConflictError({
      code: "quorum_not_met",
      message: `${signers.length} of the ${threshold} oracle signatures the vault needs; the other oracles must sign evidenceHash ${attestation.evidenceHash} with validUntil ${attestation.validUntil}.`,
      details: {
        have: signers.length,
        threshold,
        signers,
        evidenceHash: attestation.evidenceHash,
        validUntil: attestation.validUntil,
      },
    });
  }
  const result = await relayOnce(
    relayer,
    `${chain.chainId}:${chain.vault.toLowerCase()}:${parameters.commitmentId}:${parameters.milestoneIndex}`,
    () =>
      relayer.relayClaim({
        commitmentId: parameters.commitmentId,
        milestoneIndex: parameters.milestoneIndex,
        evidenceHash: attestation.evidenceHash,
        validUntil: attestation.validUntil,
        signatures: signers.map((s) => collected.get(s) as Hex),
      }),
  );
  await context.store.auditLog.append({
    actor: parameters.actor ?? commitment.owner,
    action: "claim.requested",
    subject: commitmentSubject(chain, parameters.commitmentId),
    details: {
      milestoneIndex: parameters.milestoneIndex,
      status: result.status,
      txHash: result.txHash,
      submitted: result.submitted,
      signers,
    },
  });
  return { status: result.status, txHash: result.txHash, submitted: result.submitted };
}
