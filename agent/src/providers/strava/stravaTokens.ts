/**
 * A linked Strava account's tokens, kept server-side only: `withAccessToken` hands a valid access token to one
 * API call, refreshing it first when it expires within `refreshMarginMs` (5 minutes by default) and persisting
 * the new pair (sealed by the TokenCipher). One refresh at a time per athlete in this process. When Strava
 * answers 401, the token is refreshed once and the call retried; a refresh Strava refuses (400/401: access
 * revoked on Strava's side) or a second 401 marks the account revoked, forgets its tokens, and fails with
 * ConflictError `provider_access_revoked`.
 */
import type { Clock } from "../../clock.ts";
import { ConflictError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { ProviderAccountRecord } from "../../store/providerAccountsRepository.ts";
import type { Repositories } from "../../store/store.ts";
import { ProviderResponseError } from "../providerRequest.ts";
import type { TokenCipher } from "../tokenCipher.ts";
import type { StravaClient } from "./stravaClient.ts";

export const STRAVA_PROVIDER = "strava";
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface StravaTokensParameters {
  accounts: Repositories["providerAccounts"];
  client: StravaClient;
  cipher: TokenCipher;
  clock: Clock;
  logger: Logger;
  refreshMarginMs?: number;
}

export interface SealedTokens {
  accessToken: string;
  refreshToken: string;
}

export interface StravaTokens {
  /** The pair as it is stored for `athleteId` (sealed when a key is configured). */
  seal(athleteId: string, tokens: SealedTokens): SealedTokens;
  /** The stored access token of `account`, opened (for deauthorisation; may be expired). */
  openAccessToken(account: ProviderAccountRecord): string;
  withAccessToken<T>(account: ProviderAccountRecord, call: (accessToken: string) => Promise<T>): Promise<T>;
}

export function revokedError(athleteId: string): ConflictError {
  return new ConflictError({
    code: "provider_access_revoked",
    message: "The athlete withdrew this application's access on Strava; connect again.",
    details: { provider: STRAVA_PROVIDER, athleteId },
  });
}

function isRefused(error: unknown): boolean {
  return error instanceof ProviderResponseError && (error.status === 400 || error.status === 401);
}

export function createStravaTokens({
  accounts,
  client,
  cipher,
  clock,
  logger,
  refreshMarginMs = DEFAULT_REFRESH_MARGIN_MS,
}: StravaTokensParameters): StravaTokens {
  const refreshing = new Map<string, Promise<string>>();

  const seal = (athleteId: string, tokens: SealedTokens): SealedTokens => ({
    accessToken: cipher.seal(tokens.accessToken, { provider: STRAVA_PROVIDER, athleteId, kind: "access" }),
    refreshToken: cipher.seal(tokens.refreshToken, { provider: STRAVA_PROVIDER, athleteId, kind: "refresh" }),
  });

  const openAccessToken = (account: ProviderAccountRecord) =>
    cipher.open(account.accessToken.reveal(), {
      provider: STRAVA_PROVIDER,
      athleteId: account.athleteId,
      kind: "access",
    });

  const revoke = async (athleteId: string, reason: string): Promise<never> => {
    await accounts.markRevoked({ provider: STRAVA_PROVIDER, athleteId });
    logger.warn(
      { provider: STRAVA_PROVIDER, athleteId, reason },
      "provider access revoked; tokens forgotten",
    );
    throw revokedError(athleteId);
  };

  /**
   * A fresh access token for the athlete, one refresh per athlete at a time. Starts from the stored account
   * (not the caller's copy, which may be stale): when another call refreshed meanwhile, its token is used;
   * `rejected` is a token Strava just refused, which is never handed out again.
   */
  const refresh = (athleteId: string, rejected?: string): Promise<string> => {
    const running = refreshing.get(athleteId);
    if (running !== undefined) return running;
    const work = (async () => {
      const current = await accounts.getByAthlete({ provider: STRAVA_PROVIDER, athleteId });
      if (current === null || current.revokedAt !== null) throw revokedError(athleteId);
      if (current.expiresAt.getTime() - clock.now() > refreshMarginMs) {
        const stored = openAccessToken(current);
        if (stored !== rejected) return stored;
      }
      const refreshToken = cipher.open(current.refreshToken.reveal(), {
        provider: STRAVA_PROVIDER,
        athleteId,
        kind: "refresh",
      });
      let answer: Awaited<ReturnType<StravaClient["refreshAccessToken"]>>;
      try {
        answer = await client.refreshAccessToken(refreshToken);
      } catch (error) {
        if (isRefused(error)) return revoke(athleteId, "refresh token refused");
        throw error;
      }
      const sealed = seal(athleteId, {
        accessToken: answer.access_token,
        refreshToken: answer.refresh_token,
      });
      const updated = await accounts.updateTokens({
        provider: STRAVA_PROVIDER,
        athleteId,
        accessToken: sealed.accessToken,
        refreshToken: sealed.refreshToken,
        expiresAt: new Date(answer.expires_at * 1000),
      });
      if (updated === null) throw revokedError(athleteId);
      logger.debug({ provider: STRAVA_PROVIDER, athleteId }, "provider tokens refreshed");
      return answer.access_token;
    })();
    refreshing.set(athleteId, work);
    const forget = () => {
      if (refreshing.get(athleteId) === work) refreshing.delete(athleteId);
    };
    work.then(forget, forget);
    return work;
  };

  return {
    seal,
    openAccessToken,
    withAccessToken: async (account, call) => {
      if (account.revokedAt !== null) throw revokedError(account.athleteId);
      const expiresSoon = account.expiresAt.getTime() - clock.now() <= refreshMarginMs;
      let token = expiresSoon ? await refresh(account.athleteId) : openAccessToken(account);
      let refreshed = expiresSoon;
      for (;;) {
        try {
          return await call(token);
        } catch (error) {
          if (!(error instanceof ProviderResponseError && error.status === 401)) throw error;
          if (refreshed) return revoke(account.athleteId, "access token refused after a refresh");
          token = await refresh(account.athleteId, token);
          refreshed = true;
        }
      }
    },
  };
}
