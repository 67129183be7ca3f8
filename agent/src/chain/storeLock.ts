/** `Lock` over the store's `locks` table (`store.locks`): for deployments without Redis. */
import { randomUUID } from "node:crypto";
import type { LocksRepository } from "../store/locksRepository.ts";
import type { Lock } from "./lock.ts";

export interface CreateStoreLockParameters {
  locks: LocksRepository;
  /** Default: a random UUID (one owner per process). */
  owner?: string;
}

export type CreateStoreLockReturnType = Lock;

export function createStoreLock({
  locks,
  owner = randomUUID(),
}: CreateStoreLockParameters): CreateStoreLockReturnType {
  return {
    owner,
    tryAcquire: (name, ttlMs) => locks.tryAcquire(name, owner, ttlMs),
    release: async (name) => {
      await locks.release(name, owner);
    },
  };
}
