/**
 * The rules document behind a commitment's `rulesHash`, from the store (filled by `POST /api/rules`). The stored
 * canonical JSON is parsed again with the rules schema, so a row that does not describe valid rules counts as
 * unknown rather than being trusted. A `RulesLookup` remembers what it read for the length of one request.
 *
 * A hash names one document forever (it is the document's keccak256, and the store never replaces the text
 * stored for a hash), so documents that parsed are also kept per repository for the life of the process (at most
 * `KNOWN_RULES_MAX`, least recently used dropped first): reading a commitment then costs no rules query. Every
 * caller gets the same document, deeply frozen (a caller cannot change it for the others; a copy per call was
 * ~4 % of an uncached `GET /api/commitments/:id`). Unknown and invalid hashes are not kept: `POST /api/rules`
 * may add them at any time.
 */
import type { Hex } from "viem";
import { LruMap } from "../lruMap.ts";
import { type RulesDocument, rulesDocumentSchema } from "../rules/rulesDocument.ts";
import type { Repositories } from "../store/store.ts";

/** A rules document as the lookup hands it out: shared and frozen, so typed read-only all the way down. */
export type FrozenRulesDocument = Readonly<Omit<RulesDocument, "perMilestone">> & {
  readonly perMilestone: Readonly<Omit<RulesDocument["perMilestone"], "activities">> & {
    readonly activities: readonly RulesDocument["perMilestone"]["activities"][number][];
  };
};

export type RulesLookup = (rulesHash: Hex) => Promise<FrozenRulesDocument | null>;

export interface CreateRulesLookupParameters {
  repositories: Pick<Repositories, "rulesDocuments">;
}

/** Most parsed documents kept per repository (a few KB each at most). */
export const KNOWN_RULES_MAX = 1_000;

const known = new WeakMap<object, LruMap<string, FrozenRulesDocument>>();

function knownOf(repository: object): LruMap<string, FrozenRulesDocument> {
  let documents = known.get(repository);
  if (documents === undefined) {
    documents = new LruMap(KNOWN_RULES_MAX);
    known.set(repository, documents);
  }
  return documents;
}

/** `value` with every object and array in it frozen (a parsed document: plain objects, arrays, primitives). */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function createRulesLookup({ repositories }: CreateRulesLookupParameters): RulesLookup {
  const repository = repositories.rulesDocuments;
  const documents = knownOf(repository);
  const seen = new Map<string, Promise<FrozenRulesDocument | null>>();
  return (rulesHash) => {
    const key = rulesHash.toLowerCase();
    let pending = seen.get(key);
    if (pending === undefined) {
      const document = documents.get(key);
      pending =
        document !== undefined
          ? Promise.resolve(document)
          : repository.get(key).then((record) => {
              if (record === null) return null;
              let json: unknown;
              try {
                json = JSON.parse(record.canonicalJson);
              } catch {
                return null;
              }
              const parsed = rulesDocumentSchema.safeParse(json);
              if (!parsed.success) return null;
              const frozen = deepFreeze(parsed.data);
              documents.set(key, frozen);
              return frozen;
            });
      seen.set(key, pending);
    }
    return pending;
  };
}
