/**
 * Checks a Sign-In with Ethereum (EIP-4361) message and its signature against what this agent expects.
 * Order: parse; domain, uri, chain id and times against the clock (stateless, cheap); then the nonce is
 * consumed atomically (single use, whatever happens next); then the signature is verified. Each failure
 * names the field that is wrong: 400 `invalid_siwe_message` for a message that is not EIP-4361, 401 with a
 * specific code for one that does not check out.
 *
 * Signatures: with a chain `client`, viem's `verifyMessage` action checks an EOA's ECDSA signature first (no RPC
 * call), then a smart-contract wallet's: EIP-1271 `isValidSignature` on a deployed wallet, or an ERC-6492
 * wrapped signature of a wallet not deployed yet (its factory call simulated in one `eth_call`, nothing sent).
 * Without a client (an agent with no `RPC_URL`) only EOA signatures are accepted. An RPC that fails during the
 * check answers 503 `rpc_unavailable`, never a false "bad signature".
 */
import { type Address, type Client, getAddress, type Hex, isAddress, verifyMessage } from "viem";
import { getBlockNumber, verifyMessage as verifyMessageOnChain } from "viem/actions";
import { parseSiweMessage } from "viem/siwe";
import { DependencyError } from "../errors.ts";
import { BadRequestError, UnauthorizedError } from "../http/httpErrors.ts";
import type { NonceStore } from "./stores.ts";

/** Tolerated lead of the wallet's clock over ours for `Issued At`. */
export const ISSUED_AT_SKEW_MS = 60_000;

export interface SiweExpectations {
  domain: string;
  uri: string;
  chainId: number;
}

export interface VerifySiweSignInParameters {
  message: string;
  signature: Hex;
  expected: SiweExpectations;
  nonces: NonceStore;
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  /** A public client of the configured chain: smart-contract wallets (EIP-1271, ERC-6492) are checked through it. */
  client?: Client | undefined;
}

export interface VerifySiweSignInReturnType {
  address: Address;
  chainId: number;
  nonce: string;
  /** The message's `Expiration Time` (ms since the epoch): a session must not outlive it. Absent: none. */
  expiresAt?: number;
}

function malformed(field: string, why: string): BadRequestError {
  return new BadRequestError({
    code: "invalid_siwe_message",
    message: `${field}: ${why}`,
    details: { field },
  });
}

function rejected(code: string, field: string, message: string, details: Record<string, unknown> = {}) {
  return new UnauthorizedError({ code, message, details: { field, ...details } });
}

function normalizeUri(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

const REQUIRED = ["domain", "address", "uri", "version", "chainId", "nonce", "issuedAt"] as const;

async function signatureMatches(
  client: Client | undefined,
  parameters: { address: Address; message: string; signature: Hex },
): Promise<boolean> {
  if (client === undefined) {
    try {
      return await verifyMessage(parameters);
    } catch {
      return false;
    }
  }
  const unavailable = (cause: unknown) =>
    new DependencyError({
      code: "rpc_unavailable",
      message: "The chain could not be asked to check a smart-wallet signature.",
      cause,
    });
  let valid: boolean;
  try {
    // "eoa": recover first, so an EOA sign-in costs no RPC call; then EIP-1271 / ERC-6492 on chain.
    valid = await verifyMessageOnChain(client, { ...parameters, mode: "eoa" });
  } catch (cause) {
    throw unavailable(cause);
  }
  if (valid) return true;
  // viem reads a failed `eth_call` as "not valid": make sure the chain answered before saying so.
  await getBlockNumber(client, { cacheTime: 0 }).catch((cause: unknown) => {
    throw unavailable(cause);
  });
  return false;
}

export async function verifySiweSignIn({
  message,
  signature,
  expected,
  nonces,
  now,
  client,
}: VerifySiweSignInParameters): Promise<VerifySiweSignInReturnType> {
  const fields = parseSiweMessage(message);
  for (const name of REQUIRED) {
    if (fields[name] === undefined) throw malformed("message", `is not an EIP-4361 message (no ${name})`);
  }
  const { domain, address, uri, version, chainId, nonce, issuedAt, expirationTime, notBefore, scheme } =
    fields;
  if (version !== "1") throw malformed("message.version", "must be 1");
  if (address === undefined || !isAddress(address)) {
    throw malformed("message.address", "must be an EIP-55 address");
  }
  for (const [name, date] of [
    ["issuedAt", issuedAt],
    ["expirationTime", expirationTime],
    ["notBefore", notBefore],
  ] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) {
      throw malformed(`message.${name}`, "must be an RFC 3339 date-time");
    }
  }

  if (domain !== expected.domain) {
    throw rejected("siwe_domain_mismatch", "message.domain", `The message is for another domain.`, {
      expected: expected.domain,
    });
  }
  if (uri === undefined || normalizeUri(uri) !== normalizeUri(expected.uri)) {
    throw rejected("siwe_uri_mismatch", "message.uri", `The message is for another URI.`, {
      expected: expected.uri,
    });
  }
  if (chainId !== expected.chainId) {
    throw rejected("siwe_chain_mismatch", "message.chainId", `The message is for another chain.`, {
      expected: expected.chainId,
    });
  }
  if (scheme !== undefined && `${scheme}:` !== new URL(normalizeUri(expected.uri)).protocol) {
    throw rejected("siwe_scheme_mismatch", "message.scheme", "The message is for another scheme.");
  }
  if (issuedAt !== undefined && issuedAt.getTime() > now + ISSUED_AT_SKEW_MS) {
    throw rejected("siwe_issued_in_future", "message.issuedAt", "The message is issued in the future.");
  }
  if (expirationTime !== undefined && expirationTime.getTime() <= now) {
    throw rejected("siwe_expired", "message.expirationTime", "The message has expired.");
  }
  if (notBefore !== undefined && notBefore.getTime() > now) {
    throw rejected("siwe_not_yet_valid", "message.notBefore", "The message is not valid yet.");
  }

  if (nonce === undefined || !(await nonces.consume(nonce))) {
    throw rejected("siwe_nonce_invalid", "message.nonce", "The nonce is unknown, already used or expired.");
  }

  if (!(await signatureMatches(client, { address, message, signature }))) {
    throw rejected("siwe_bad_signature", "signature", "The signature does not match the message's address.");
  }
  return {
    address: getAddress(address),
    chainId: expected.chainId,
    nonce,
    ...(expirationTime === undefined ? {} : { expiresAt: expirationTime.getTime() }),
  };
}
