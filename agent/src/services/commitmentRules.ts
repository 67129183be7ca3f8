/**
 * The rules document behind a commitment's `rulesHash`, from the store (filled by `POST /api/rules`). The stored
 * canonical JSON is parsed again with the rules schema, so a row that does not describe valid rules counts as
 * unknown rather than being trusted. A `RulesLookup` remembers what it read for the length of one request.
 */
import type { Hex } from "viem";
import { type RulesDocument, rulesDocumentSchema } from "../rules/rulesDocument.ts";
import type { Repositories } from "../store/store.ts";

export type RulesLookup = (rulesHash: Hex) => Promise<RulesDocument | null>;

export interface CreateRulesLookupParameters {
  repositories: Pick<Repositories, "rulesDocuments">;
}

export function createRulesLookup({ repositories }: CreateRulesLookupParameters): RulesLookup {
  const seen = new Map<string, Promise<RulesDocument | null>>();
  return (rulesHash) => {
    const key = rulesHash.toLowerCase();
    let pending = seen.get(key);
    if (pending === undefined) {
      pending = repositories.rulesDocuments.get(key).then((record) => {
        if (record === null) return null;
        let json: unknown;
        try {
          json = JSON.parse(record.canonicalJson);
        } catch {
          return null;
        }
        const parsed = rulesDocumentSchema.safeParse(json);
        return parsed.success ? parsed.data : null;
      });
      seen.set(key, pending);
    }
    return pending;
  };
}
