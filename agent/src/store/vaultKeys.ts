/**
 * The key every row mirroring a vault starts with, its chain and its vault: the type, its zod schema on the way
 * in (vault stored lower-case) and its conversion on the way out (vault checksummed).
 */
import type { Address } from "viem";
import { z } from "zod";
import { addressSchema, chainIdSchema, toAddress } from "./values.ts";

/** The chain and the vault a row mirroring a vault belongs to (what `onVault` narrows by). */
export interface VaultKey {
  chainId: number;
  vault: string;
}

export const vaultKeySchema = z.object({ chainId: chainIdSchema, vault: addressSchema });

/** A stored row's chain and vault, the vault checksummed: the first fields of a vault-mirroring record. */
export function vaultOf(row: VaultKey): { chainId: number; vault: Address } {
  return { chainId: row.chainId, vault: toAddress(row.vault) };
}
