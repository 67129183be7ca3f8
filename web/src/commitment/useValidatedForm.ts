/**
 * The state both stake forms (new commitment, new challenge) share: the typed values (kept whatever fails),
 * per-field errors shown only after a submit and cleared as the field changes, stable field ids, and a submit
 * handler that focuses the first field in error or hands the validated value on.
 */
import { useId, useRef, useState } from "react";

export type Validation<Value, Field extends string> =
  | { ok: true; value: Value }
  | { ok: false; errors: Partial<Record<Field, string>> };

export function useValidatedForm<Values extends object>(initial: () => Values) {
  type Field = keyof Values & string;
  const uid = useId();
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [submitted, setSubmitted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const fid = (name: Field) => `${uid}-${name}`;
  const set = <K extends Field>(key: K, value: Values[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (submitted) setErrors((e) => ({ ...e, [key]: undefined }));
  };
  /** The errors to show: none before the first submit. */
  const shown: Partial<Record<Field, string>> = submitted ? errors : {};
  const errorCount = Object.values(shown).filter(Boolean).length;

  const submit =
    <Value>(validation: Validation<Value, Field>, onValid: (value: Value) => void) =>
    (event: React.FormEvent) => {
      event.preventDefault();
      setSubmitted(true);
      if (!validation.ok) {
        setErrors(validation.errors);
        const first = Object.keys(validation.errors)[0] as Field | undefined;
        if (first) formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(fid(first))}`)?.focus();
        return;
      }
      setErrors({});
      onValid(validation.value);
    };

  /** A text field's id, error, value and change handler, for `InputField`. */
  const bind = <K extends Field>(name: K) => ({
    id: fid(name),
    error: shown[name],
    value: String(values[name]),
    onChange: (value: string) => set(name, value as Values[K]),
  });

  return { uid, values, set, fid, bind, shown, errorCount, formRef, submit };
}
