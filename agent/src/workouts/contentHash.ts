import { createKeccak } from "hash-wasm";
import { concatHex, type Hex, hexToBytes, numberToHex } from "viem";

/**
 * Content hashes of uploaded files: keccak256 of the raw bytes, as 0x-prefixed hex. The same bytes always give
 * the same hash, which is how re-uploads are recognised as `duplicate`.
 *
 * The hash is computed by hash-wasm's WebAssembly Keccak (the original Keccak padding, as Ethereum and viem's
 * `keccak256` use: not SHA3-256), ~15× faster than viem's pure-JS keccak on file-sized inputs. The hasher is
 * created once per thread (module top-level await) and reused; its calls are synchronous and each starts with
 * `init()`, so one hasher serves every call on the thread. `test/workouts/contentHash.test.ts` pins the result
 * to viem's keccak256 over the real device files and to hashes already stored.
 */
const hasher = await createKeccak(256);

/** keccak256 of `bytes` as 0x-prefixed lowercase hex (equal to viem's `keccak256(bytes)`). */
export function keccak256Bytes(bytes: Uint8Array): Hex {
  return `0x${hasher.init().update(bytes).digest("hex")}`;
}

export type ContentHashParameters = Parameters<typeof contentHash>;
export type ContentHashReturnType = Hex;

export function contentHash(bytes: Uint8Array): Hex {
  return keccak256Bytes(bytes);
}

export interface ActivityContentHashParameters {
  /** contentHash of the whole file. */
  fileHash: Hex;
  /** Position of the activity within the file. */
  index: number;
  /** Number of activities the file yielded. */
  count: number;
}
export type ActivityContentHashReturnType = Hex;

/**
 * The content hash of one activity of a file. A single-activity file's activity has the file's hash; the
 * activities of a multi-activity file (TCX with several <Activity>, multisport FIT) each get
 * keccak256(fileHash ‖ uint32 index), so they are told apart from each other yet a re-upload of the same file
 * still reproduces every one of them.
 */
export function activityContentHash({ fileHash, index, count }: ActivityContentHashParameters): Hex {
  if (count <= 1) return fileHash;
  return keccak256Bytes(hexToBytes(concatHex([fileHash, numberToHex(index, { size: 4 })])));
}
