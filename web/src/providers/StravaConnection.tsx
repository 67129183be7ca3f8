/**
 * The Strava link of the signed-in wallet: whether an athlete is linked (and since when, synced until when), a
 * Connect button that starts Strava's OAuth flow through the agent (`GET /api/providers/strava/connect`, then
 * Strava's page, then back here), and a Disconnect button (`DELETE /api/providers/strava`). Hidden behind a hint
 * when the agent has no Strava integration.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { disconnectStrava, getStravaLink, ProblemError, stravaAuthorizeUrl } from "../api/agentClient.ts";
import type { StravaLink } from "../api/schemas.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatDateTime } from "../format/time.ts";
import { clearStravaReturn, stravaReturnOf } from "./stravaReturn.ts";

export const STRAVA_LINK_KEY = ["api", "providers", "strava"] as const;

export type StravaLinkState = "unavailable" | "unlinked" | "linked" | "revoked";

export function stravaLinkState(link: StravaLink | null): StravaLinkState {
  if (link === null) return "unavailable";
  if (!link.linked) return "unlinked";
  return link.revoked ? "revoked" : "linked";
}

const UNLINKED: StravaLink = {
  linked: false,
  athleteId: null,
  scope: null,
  revoked: false,
  linkedAt: null,
  syncedUntil: null,
};

/** Where the browser goes to authorise; replaced in tests. */
export const navigation = { assign: (url: string) => window.location.assign(url) };

export function StravaConnection() {
  const uid = useId();
  const queryClient = useQueryClient();
  const [returned] = useState(() => stravaReturnOf(window.location.search));
  useEffect(() => {
    if (returned !== null) clearStravaReturn();
  }, [returned]);
  const link = useQuery({ queryKey: STRAVA_LINK_KEY, queryFn: getStravaLink, retry: false });
  const connect = useMutation({
    mutationFn: stravaAuthorizeUrl,
    onSuccess: (url) => navigation.assign(url),
  });
  const disconnect = useMutation({
    mutationFn: async () => {
      try {
        await disconnectStrava();
      } catch (error) {
        // Already unlinked (elsewhere, or on another tab): the outcome the person asked for.
        if (!(error instanceof ProblemError && error.code === "provider_not_linked")) throw error;
      }
    },
    onSuccess: () => queryClient.setQueryData(STRAVA_LINK_KEY, UNLINKED),
  });
  const state = link.data === undefined ? undefined : stravaLinkState(link.data);
  const busy = connect.isPending || connect.isSuccess || disconnect.isPending;

  return (
    <section aria-labelledby={`${uid}-h`} data-testid="strava" data-state={state ?? "loading"}>
      <h2 id={`${uid}-h`}>Strava</h2>
      {link.isPending ? <p role="status">Checking your Strava link…</p> : null}
      <ErrorAlert error={link.error} />
      {state === "unavailable" ? (
        <p className="hint">This agent does not import from Strava: upload your files below.</p>
      ) : null}
      {state === "unlinked" ? (
        <p>Not linked. Connect Strava and your activities are imported as you record them.</p>
      ) : null}
      {state === "linked" && link.data ? (
        <>
          {returned === "connected" && !disconnect.isSuccess ? (
            <p className="alert ok" role="status">
              Strava is connected.
            </p>
          ) : null}
          <p>
            Linked to Strava athlete {link.data.athleteId}
            {link.data.linkedAt ? ` since ${formatDateTime(new Date(link.data.linkedAt))}` : ""}.{" "}
            {link.data.syncedUntil
              ? `Activities imported up to ${formatDateTime(new Date(link.data.syncedUntil))}.`
              : "New activities are imported as Strava reports them."}
          </p>
        </>
      ) : null}
      {state === "revoked" ? (
        <p className="alert info">
          Strava access was withdrawn on Strava’s side: connect again to resume imports.
        </p>
      ) : null}
      {disconnect.isSuccess ? (
        <p className="alert ok" role="status">
          Strava is disconnected; workouts already imported stay.
        </p>
      ) : null}
      <ErrorAlert error={connect.error ?? disconnect.error} />
      <div className="row">
        {state === "unlinked" || state === "revoked" ? (
          <button type="button" onClick={() => connect.mutate()} disabled={busy}>
            {connect.isPending || connect.isSuccess ? "Opening Strava…" : "Connect Strava"}
          </button>
        ) : null}
        {state === "linked" || state === "revoked" ? (
          <button type="button" className="secondary" onClick={() => disconnect.mutate()} disabled={busy}>
            {disconnect.isPending ? "Disconnecting…" : "Disconnect Strava"}
          </button>
        ) : null}
      </div>
    </section>
  );
}
