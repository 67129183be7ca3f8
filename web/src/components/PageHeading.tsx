/** The page's <h1>. After a route change it takes focus, so keyboard and screen-reader users land on it. */
import { useEffect, useRef } from "react";

let initialPageShown = false;

export function PageHeading({ children }: { children: React.ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (initialPageShown) ref.current?.focus();
    initialPageShown = true;
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
