/** A clock for the UI: the current time, re-rendered every `intervalMs` (default 1 s). */
import { useEffect, useState } from "react";

export function useNow(intervalMs = 1000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export interface UseCountdownReturnType {
  msLeft: number;
  passed: boolean;
}

/** Milliseconds until `deadline` (a Date), ticking every second; `offsetMs` shifts "now" (chain time − wall time). */
export function useCountdown(deadline: Date, offsetMs = 0): UseCountdownReturnType {
  const now = useNow(1000);
  const msLeft = deadline.getTime() - (now.getTime() + offsetMs);
  return { msLeft: Math.max(0, msLeft), passed: msLeft <= 0 };
}
