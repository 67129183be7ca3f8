/**
 * Notification preferences (channels, quiet hours, time zone): loads what the owner saved (`GET
 * /api/preferences`, the agent's defaults when nothing was saved yet) and saves with `PUT /api/preferences`.
 * The in-app feed is always on (the agent adds it to every choice).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { getPreferences, type PreferencesInput, savePreferences } from "../api/agentClient.ts";
import { type SavedPreferences, savedPreferencesSchema } from "../api/schemas.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

export const PREFERENCES_KEY = ["api", "preferences"] as const;

export interface PreferencesFormValues {
  email: string;
  webhookUrl: string;
  quietStart: string;
  quietEnd: string;
  timezone: string;
}

/** The form's starting values: the saved ones, with the browser's time zone where none was saved. */
export function formValuesOf(saved: SavedPreferences, browserTimeZone: string): PreferencesFormValues {
  return {
    email: saved.email ?? "",
    webhookUrl: saved.webhookUrl ?? "",
    quietStart: saved.quietHours.start,
    quietEnd: saved.quietHours.end,
    timezone: saved.timezone ?? browserTimeZone,
  };
}

/** What is sent: email and webhook are channels when filled in. */
export function preferencesInputOf(values: PreferencesFormValues): PreferencesInput {
  const email = values.email.trim();
  const webhookUrl = values.webhookUrl.trim();
  const channels: PreferencesInput["channels"] = ["inApp"];
  if (email) channels.push("email");
  if (webhookUrl) channels.push("webhook");
  return {
    timezone: values.timezone.trim(),
    quietHours: { start: values.quietStart, end: values.quietEnd },
    channels,
    ...(email ? { email } : {}),
    ...(webhookUrl ? { webhookUrl } : {}),
  };
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function Fields({ initial, saved }: { initial: PreferencesFormValues; saved: boolean }) {
  const uid = useId();
  const queryClient = useQueryClient();
  const [values, setValues] = useState(initial);
  const set = (field: keyof PreferencesFormValues) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));
  const save = useMutation({
    mutationFn: (input: PreferencesInput) => savePreferences(input),
    onSuccess: (answer) => {
      const parsed = savedPreferencesSchema.safeParse(answer);
      if (parsed.success) queryClient.setQueryData(PREFERENCES_KEY, parsed.data);
    },
  });
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate(preferencesInputOf(values));
  };
  return (
    <form onSubmit={onSubmit} aria-labelledby={`${uid}-h`} data-testid="preferences">
      <h2 id={`${uid}-h`}>Notification preferences</h2>
      <p className="hint" data-testid="preferences-origin">
        {saved ? "Your saved preferences." : "Nothing saved yet: these are the defaults."}
      </p>
      <div className="choices">
        <label>
          <input type="checkbox" checked disabled aria-describedby={`${uid}-inapp`} /> In-app feed
        </label>
        <span id={`${uid}-inapp`} className="hint">
          {" "}
          (always on)
        </span>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${uid}-email`}>Email (optional)</label>
          <input
            id={`${uid}-email`}
            type="email"
            autoComplete="email"
            value={values.email}
            onChange={set("email")}
          />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-hook`}>Webhook URL (optional)</label>
          <input id={`${uid}-hook`} type="url" value={values.webhookUrl} onChange={set("webhookUrl")} />
        </div>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${uid}-qs`}>Quiet from</label>
          <input id={`${uid}-qs`} type="time" value={values.quietStart} onChange={set("quietStart")} />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-qe`}>Quiet until</label>
          <input id={`${uid}-qe`} type="time" value={values.quietEnd} onChange={set("quietEnd")} />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-tz`}>Time zone</label>
          <input id={`${uid}-tz`} value={values.timezone} onChange={set("timezone")} />
        </div>
      </div>
      <ErrorAlert error={save.error} />
      {save.isSuccess ? (
        <p className="alert ok" role="status">
          Saved.
        </p>
      ) : null}
      <button type="submit" disabled={save.isPending}>
        {save.isPending ? "Saving…" : "Save preferences"}
      </button>
    </form>
  );
}

export function PreferencesForm() {
  const saved = useQuery({ queryKey: PREFERENCES_KEY, queryFn: getPreferences, retry: false });
  if (saved.data === undefined) {
    // Never a form of defaults while the saved values are unknown: saving it would overwrite them.
    return (
      <section aria-labelledby="preferences-h">
        <h2 id="preferences-h">Notification preferences</h2>
        {saved.isPending ? <p role="status">Loading your preferences…</p> : null}
        <ErrorAlert error={saved.error} />
        {saved.isError ? (
          <button type="button" onClick={() => void saved.refetch()}>
            Try again
          </button>
        ) : null}
      </section>
    );
  }
  // Fields keeps its own state: a refetch (or the answer of a save) does not reset what is being typed.
  return <Fields initial={formValuesOf(saved.data, browserTimeZone())} saved={saved.data.saved} />;
}
