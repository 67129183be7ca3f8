import type { Address, Hex, TypedDataDefinition } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { inSpan } from "../telemetry/spans.ts";

/**
 * What the oracle needs from a key: its address and EIP-712 signing. A local key, an encrypted keystore or a
 * KMS/HSM adapter all fit behind this interface.
 */
export interface AttestationSigner {
  readonly address: Address;
  signTypedData(typedData: TypedDataDefinition): Promise<Hex>;
}

const privateKeySchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key");

/** A signer over a raw private key (from the environment or a decrypted keystore). */
export function privateKeySigner(privateKey: string): AttestationSigner {
  const parsed = privateKeySchema.safeParse(privateKey);
  if (!parsed.success) {
    throw new ValidationError({
      code: "invalid_oracle_key",
      message: "oracle key: must be a 0x-prefixed 32-byte hex private key",
      details: { field: "ORACLE_PRIVATE_KEY" },
    });
  }
  let account: ReturnType<typeof privateKeyToAccount>;
  try {
    account = privateKeyToAccount(parsed.data as Hex);
  } catch (cause) {
    throw new ValidationError({
      code: "invalid_oracle_key",
      message: "oracle key: not a valid secp256k1 private key",
      details: { field: "ORACLE_PRIVATE_KEY" },
      cause,
    });
  }
  return {
    address: account.address,
    // Traced inside a request or run only (the health probe's signature is not a span of its own).
    signTypedData: (typedData) =>
      inSpan(
        "attestation.sign",
        { "attestation.signer": account.address, "attestation.type": String(typedData.primaryType) },
        () => account.signTypedData(typedData),
        { requireParent: true },
      ),
  };
}
