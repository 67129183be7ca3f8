/**
 * The coach's conversation context: per conversation, the last `MAX_CONVERSATION_MESSAGES` user and assistant
 * messages (older ones are dropped on append), and per owner at most `MAX_CONVERSATIONS_PER_OWNER`
 * conversations (the least recently used is deleted when a new one is started).
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow } from "./repositoryMethods.ts";
import { coachConversations } from "./schema.ts";
import { addressSchema, parseInput, withOwnerAddress } from "./values.ts";

export const MAX_CONVERSATION_MESSAGES = 20;
export const MAX_CONVERSATIONS_PER_OWNER = 20;
/** Longest stored message (characters); longer ones are cut. */
export const MAX_STORED_MESSAGE_CHARS = 4000;

export interface ConversationMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ConversationRecord {
  id: string;
  owner: Address;
  messages: ConversationMessage[];
  createdAt: Date;
  updatedAt: Date;
}

export interface CoachConversationsRepository {
  /** Starts an empty conversation for the owner (dropping their least recently used beyond the bound). */
  create(owner: string): Promise<ConversationRecord>;
  /** The conversation when it exists AND belongs to `owner`, else null (someone else's id reveals nothing). */
  get(id: string, owner: string): Promise<ConversationRecord | null>;
  /** Appends messages, keeping the last `MAX_CONVERSATION_MESSAGES`. Null when it is not the owner's. */
  append(
    id: string,
    owner: string,
    messages: readonly ConversationMessage[],
  ): Promise<ConversationRecord | null>;
}

const messageSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string().transform((text) => text.slice(0, MAX_STORED_MESSAGE_CHARS)),
});

const keySchema = z.object({ id: z.string(), owner: addressSchema });

export function createCoachConversationsRepository(
  db: DatabaseExecutor,
  clock: Clock,
): CoachConversationsRepository {
  const get = async (id: string, owner: string): Promise<ConversationRecord | null> => {
    const key = parseInput(keySchema, { id, owner }, "conversation key");
    if (!z.uuid().safeParse(key.id).success) return null;
    return withDatabaseErrors("conversation lookup", async () => {
      const rows = await db
        .select()
        .from(coachConversations)
        .where(and(eq(coachConversations.id, key.id.toLowerCase()), eq(coachConversations.owner, key.owner)))
        .limit(1);
      return firstOrNull(rows, withOwnerAddress);
    });
  };

  return {
    create: async (owner) => {
      const value = parseInput(addressSchema, owner, "owner");
      return withDatabaseErrors("conversation insert", async () => {
        const now = new Date(clock.now());
        const existing = await db
          .select({ id: coachConversations.id })
          .from(coachConversations)
          .where(eq(coachConversations.owner, value))
          .orderBy(desc(coachConversations.updatedAt), desc(coachConversations.id))
          .limit(MAX_CONVERSATIONS_PER_OWNER + 50);
        const stale = existing.slice(MAX_CONVERSATIONS_PER_OWNER - 1).map((row) => row.id);
        if (stale.length > 0) {
          await db.delete(coachConversations).where(inArray(coachConversations.id, stale));
        }
        const rows = await db
          .insert(coachConversations)
          .values({ owner: value, messages: [], createdAt: now, updatedAt: now })
          .returning();
        return onlyRow(rows, withOwnerAddress);
      });
    },

    get,

    append: async (id, owner, messages) => {
      const added = parseInput(z.array(messageSchema).max(MAX_CONVERSATION_MESSAGES), messages, "messages");
      const current = await get(id, owner);
      if (current === null) return null;
      const kept = [...current.messages, ...added].slice(-MAX_CONVERSATION_MESSAGES);
      return withDatabaseErrors("conversation update", async () => {
        const rows = await db
          .update(coachConversations)
          .set({ messages: kept, updatedAt: new Date(clock.now()) })
          .where(eq(coachConversations.id, current.id))
          .returning();
        return firstOrNull(rows, withOwnerAddress);
      });
    },
  };
}
