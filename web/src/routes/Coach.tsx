/**
 * Coach: chat with the agent (its tool calls shown collapsed), the nudge feed, notification preferences
 * (channels, quiet hours, time zone; loaded as saved, coach/PreferencesForm.tsx) and a calendar (ICS upload or URL) the coach plans around.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { askCoach, linkCalendarUrl, listNudges, uploadCalendarFile } from "../api/agentClient.ts";
import type { ToolCall } from "../api/schemas.ts";
import { PreferencesForm } from "../coach/PreferencesForm.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { formatDateTime } from "../format/time.ts";
import { useSession } from "../hooks/useSession.ts";

/** Most messages kept on screen. */
const MAX_MESSAGES = 100;
const MAX_MESSAGE_CHARS = 2000;

interface ChatMessage {
  role: "user" | "coach";
  text: string;
  toolCalls: ToolCall[];
}

function ToolCalls({ calls }: { calls: ToolCall[] }) {
  if (calls.length === 0) return null;
  return (
    <details>
      <summary>
        {calls.length} tool call{calls.length === 1 ? "" : "s"}: {calls.map((c) => c.name).join(", ")}
      </summary>
      {calls.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: tool calls are positional
        <div key={i}>
          <h4>{c.name}</h4>
          <pre>
            {JSON.stringify({ arguments: c.arguments ?? c.args, result: c.result, error: c.error }, null, 2)}
          </pre>
        </div>
      ))}
    </details>
  );
}

function Chat() {
  const uid = useId();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [draft, setDraft] = useState("");
  const [conversationId, setConversationId] = useState<string | undefined>(undefined);
  const ask = useMutation({
    mutationFn: (message: string) => askCoach(message, conversationId),
    onSuccess: (reply) => {
      if (reply.conversationId) setConversationId(reply.conversationId);
      setMessages((m) =>
        [...m, { role: "coach" as const, text: reply.reply, toolCalls: reply.toolCalls }].slice(
          -MAX_MESSAGES,
        ),
      );
      setDraft("");
    },
  });
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (text === "" || ask.isPending) return;
    setMessages((m) => [...m, { role: "user" as const, text, toolCalls: [] }].slice(-MAX_MESSAGES));
    ask.mutate(text);
  };
  return (
    <section aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Ask your coach</h2>
      <div className="chat" aria-live="polite" data-testid="chat">
        {messages.map((m, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages are append-only
          <div key={i} className={`msg ${m.role}`}>
            <span className="visually-hidden">{m.role === "user" ? "You:" : "Coach:"}</span>
            <p>{m.text}</p>
            <ToolCalls calls={m.toolCalls} />
          </div>
        ))}
        {ask.isPending ? <p role="status">The coach is thinking…</p> : null}
      </div>
      <form onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={`${uid}-msg`}>Message</label>
          <textarea
            id={`${uid}-msg`}
            rows={2}
            maxLength={MAX_MESSAGE_CHARS}
            value={draft}
            placeholder="How am I doing this week?"
            onChange={(e) => setDraft(e.target.value)}
          />
        </div>
        <ErrorAlert error={ask.error} />
        <button type="submit" disabled={ask.isPending || draft.trim() === ""}>
          Send
        </button>
      </form>
    </section>
  );
}

function Nudges() {
  const nudges = useQuery({ queryKey: ["api", "nudges"], retry: false, queryFn: listNudges });
  return (
    <section aria-labelledby="nudges-h">
      <h2 id="nudges-h">Nudges</h2>
      {nudges.isPending ? <p role="status">Loading…</p> : null}
      <ErrorAlert error={nudges.error} />
      {nudges.data && nudges.data.length === 0 ? <p>No nudges yet.</p> : null}
      <ul>
        {(nudges.data ?? []).map((n) => (
          <li key={n.id}>
            {n.message ?? n.text ?? n.body ?? "(no text)"}{" "}
            <span className="hint">
              {n.channel ? `via ${n.channel}` : ""}
              {n.createdAt ? ` · ${formatDateTime(new Date(n.createdAt))}` : ""}
              {n.status ? ` · ${n.status}` : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Calendar() {
  const uid = useId();
  const [url, setUrl] = useState("");
  const upload = useMutation({ mutationFn: uploadCalendarFile });
  const link = useMutation({ mutationFn: linkCalendarUrl });
  return (
    <section aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Calendar</h2>
      <p className="hint">
        The coach looks for free slots in your calendar. Upload an .ics file or give an https link.
      </p>
      <div className="field">
        <label htmlFor={`${uid}-file`}>Calendar file (.ics)</label>
        <input
          id={`${uid}-file`}
          type="file"
          accept=".ics,text/calendar"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) upload.mutate(file);
          }}
        />
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (url.trim()) link.mutate(url.trim());
        }}
      >
        <div className="field">
          <label htmlFor={`${uid}-url`}>Calendar URL</label>
          <input
            id={`${uid}-url`}
            type="url"
            placeholder="https://…"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </div>
        <button type="submit" disabled={link.isPending || url.trim() === ""}>
          Link calendar
        </button>
      </form>
      <ErrorAlert error={upload.error ?? link.error} />
      {upload.isSuccess || link.isSuccess ? (
        <p className="alert ok" role="status">
          Calendar saved.
        </p>
      ) : null}
    </section>
  );
}

export default function Coach() {
  const { signedIn } = useSession();
  return (
    <>
      <PageHeading>Coach</PageHeading>
      {signedIn ? (
        <>
          <Chat />
          <Nudges />
          <PreferencesForm />
          <Calendar />
        </>
      ) : (
        <p className="alert info">Sign in (button at the top) to talk to your coach.</p>
      )}
    </>
  );
}
