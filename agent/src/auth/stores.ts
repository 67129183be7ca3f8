/**
 * What sign-in needs from storage, kept small so memory, Redis and database implementations all fit (the
 * store's `SiweNoncesRepository` and `SessionsRepository` satisfy these interfaces as they are).
 */
import type { Address } from "viem";

export interface NonceStore {
  /** Stores a fresh nonce valid for `ttlMs` (by the injected clock). A nonce already stored → ConflictError. */
  issue(nonce: string, ttlMs: number): Promise<unknown>;
  /** True exactly once per issued, unexpired nonce (atomically); false when unknown, used or expired. */
  consume(nonce: string): Promise<boolean>;
}

export interface Session {
  /** sha256 (hex) of the cookie token; the token itself is never stored. */
  id: string;
  address: Address;
  chainId: number;
  createdAt: Date;
  /** The session is valid strictly before this instant. */
  expiresAt: Date;
}

export interface CreateSessionParameters {
  id: string;
  address: Address;
  chainId: number;
  ttlMs: number;
}

export interface SessionStore {
  /** An id already taken → ConflictError. */
  create(parameters: CreateSessionParameters): Promise<Session>;
  /** The session while it is valid; null when unknown or expired. */
  get(id: string): Promise<Session | null>;
  /** True when a session was deleted. */
  delete(id: string): Promise<boolean>;
}
