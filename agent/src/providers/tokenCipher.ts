/**
 * Provider OAuth tokens at rest: sealed with AES-256-GCM when a key is configured, so a leaked database
 * (backup, replica, SQL injection elsewhere) does not leak tokens that read people's activities. The
 * associated data binds each sealed token to its provider, athlete and kind, so tokens cannot be swapped
 * between rows. Without a key, tokens are stored as given. A stored plain token still opens under a key
 * (turning encryption on needs no migration; the next refresh seals it).
 *
 * Sealed form: `v1.` + base64url(12-byte IV ‖ ciphertext ‖ 16-byte tag).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DependencyError, ValidationError } from "../errors.ts";

export interface TokenContext {
  provider: string;
  athleteId: string;
  kind: "access" | "refresh";
}

export interface TokenCipher {
  /** True when tokens are encrypted. */
  readonly encrypts: boolean;
  seal(token: string, context: TokenContext): string;
  /** The token; DependencyError `token_key_missing` / `token_decryption_failed` when it cannot be opened. */
  open(stored: string, context: TokenContext): string;
}

const PREFIX = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(context: TokenContext): Buffer {
  return Buffer.from(`${context.provider}:${context.athleteId}:${context.kind}`, "utf8");
}

/**
 * A 32-byte key from 64 hex characters or base64/base64url (44/43 characters); anything else throws, so a
 * mistyped key stops the boot instead of silently storing tokens in clear.
 */
export function parseTokenKey(raw: string): Buffer {
  const value = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(value) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(value))) {
    throw new ValidationError({
      code: "token_key_invalid",
      message: "The token encryption key must be 32 bytes: 64 hex characters or base64.",
    });
  }
  return key;
}

export interface CreateTokenCipherParameters {
  /** 32 bytes (see parseTokenKey), or undefined to store tokens as given. */
  key?: string | undefined;
}

export function createTokenCipher({ key }: CreateTokenCipherParameters = {}): TokenCipher {
  const secret = key === undefined ? undefined : parseTokenKey(key);
  return {
    encrypts: secret !== undefined,
    seal: (token, context) => {
      if (secret === undefined) return token;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", secret, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(context));
      const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
      return `${PREFIX}${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
    },
    open: (stored, context) => {
      if (!stored.startsWith(PREFIX)) return stored;
      if (secret === undefined) {
        throw new DependencyError({
          code: "token_key_missing",
          message: "Stored provider tokens are encrypted but no token encryption key is configured.",
          details: { provider: context.provider },
        });
      }
      try {
        const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
        if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("sealed token too short");
        const decipher = createDecipheriv("aes-256-gcm", secret, raw.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        // No cause: the decipher's error says nothing useful and nothing about the token may leak.
        throw new DependencyError({
          code: "token_decryption_failed",
          message: "A stored provider token cannot be decrypted with the configured key.",
          details: { provider: context.provider },
        });
      }
    },
  };
}
