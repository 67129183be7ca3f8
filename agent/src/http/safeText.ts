/**
 * Text the agent refuses at its edge: a NUL character (PostgreSQL `text` cannot hold one, so it would fail as a
 * database error, a 5xx and a false "database down" alert) or a lone UTF-16 surrogate (not Unicode at all; it
 * cannot be encoded as UTF-8 without being silently replaced). Every request body, query and path parameter is
 * checked once, where it is parsed (parseRequest.ts), and so are the other texts a request carries in (an
 * uploaded calendar, a fetched feed, an upload's file name): a 400 `invalid_text` names the field.
 */
import { BadRequestError } from "./httpErrors.ts";

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds a NUL or a lone surrogate. */
export function isUnsafeText(text: string): boolean {
  return text.includes("\u0000") || LONE_SURROGATE.test(text);
}

/**
 * `text` with every NUL removed and every lone surrogate replaced by U+FFFD: for text the agent did not get from
 * the request it answers (a model's reply), which it stores rather than refuses.
 */
export function storableText(text: string): string {
  return text.replaceAll("\u0000", "").replace(new RegExp(LONE_SURROGATE.source, "g"), "\uFFFD");
}

export type FindUnsafeTextReturnType = string | undefined;

/**
 * The dotted path (`a.b.0`) of the first string, value or key, in `value` that `isUnsafeText`, `""` for `value`
 * itself, or undefined. Iterative, so a deeply nested JSON body cannot overflow the stack.
 */
export function findUnsafeText(value: unknown): FindUnsafeTextReturnType {
  const pending: { value: unknown; path: string }[] = [{ value, path: "" }];
  const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: current, path } = item;
    if (typeof current === "string") {
      if (isUnsafeText(current)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1)
        pending.push({ value: current[i], path: join(path, String(i)) });
    } else if (current !== null && typeof current === "object") {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i] as string;
        // A bad key is named by its parent: the key itself cannot be printed faithfully.
        if (isUnsafeText(key)) return path === "" ? "(body)" : path;
        pending.push({ value: (current as Record<string, unknown>)[key], path: join(path, key) });
      }
    }
  }
  return undefined;
}

export interface AssertSafeTextParameters {
  /** Prefix of the field named in the problem (`query`, `params`); none for a body. */
  prefix?: string;
  /** The field named when the value itself (not a member of it) is the bad text. */
  field?: string;
}

/** Throws a 400 `invalid_text` naming the field when `value` holds a NUL or a lone surrogate anywhere. */
export function assertSafeText(value: unknown, parameters: AssertSafeTextParameters = {}): void {
  const path = findUnsafeText(value);
  if (path === undefined) return;
  const inner = path === "" ? (parameters.field ?? "(body)") : path;
  const field = parameters.prefix === undefined ? inner : `${parameters.prefix}.${inner}`;
  throw new BadRequestError({
    code: "invalid_text",
    message: `${field}: must not contain NUL characters or unpaired UTF-16 surrogates`,
    details: { field },
  });
}
