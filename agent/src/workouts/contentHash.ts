import { concatHex, type Hex, keccak256, numberToHex } from "viem";

/**
 * Content hashes of uploaded files: keccak256 of the raw bytes, as 0x-prefixed hex. The same bytes always give
 * the same hash, which is how re-uploads are recognised as `duplicate`.
 */
export type ContentHashParameters = Parameters<typeof contentHash>;
export type ContentHashReturnType = Hex;

export function contentHash(bytes: Uint8Array): Hex {
  return keccak256(bytes);
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
  return keccak256(concatHex([fileHash, numberToHex(index, { size: 4 })]));
}
