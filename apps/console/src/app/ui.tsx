import { type ComponentChildren, cloneElement, isValidElement, toChildArray } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** A modal dialog (native `<dialog>`: focus stays inside, Escape closes, focus returns on close). */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    opener.current = document.activeElement;
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    // Start at the first form field when there is one (showModal alone would focus the Close button).
    dialog.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), select, textarea')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      // Back to what opened the dialog, once the dialog has left the page (removing a focused
      // element would otherwise leave focus on the body).
      const back = opener.current;
      setTimeout(() => {
        if (back instanceof HTMLElement && back.isConnected) back.focus();
      }, 0);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      class={props.wide ? 'wide' : undefined}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="quiet" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** An error message for the user, announced by screen readers. */
export function ErrorText(props: { error: unknown }) {
  if (props.error === undefined || props.error === null) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p role="alert" class="error">
      {message}
    </p>
  );
}

/** Loading / error / content for one API read. */
export function Loaded<T>(props: {
  data: T | undefined;
  error: Error | undefined;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (props.data !== undefined) return <>{props.children(props.data)}</>;
  if (props.error !== undefined && !(props.error instanceof ApiError && props.error.status === 401)) {
    return <ErrorText error={props.error} />;
  }
  return <p class="muted">Loading {props.what}…</p>;
}

/**
 * Runs an async action with a busy flag and the last error, for buttons and forms.
 * `run` resolves to true when the action succeeded.
 */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (fn: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return {
    busy,
    error,
    clear: () => setError(undefined),
    run: async (fn) => {
      setBusy(true);
      setError(undefined);
      try {
        await fn();
        return true;
      } catch (e) {
        setError(e);
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}

/** A button that copies text to the clipboard and says so. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // No clipboard permission: fall back to a hidden textarea and execCommand.
      const area = document.createElement('textarea');
      area.value = props.text;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return (
    <button type="button" onClick={() => void copy()} aria-label={props.label}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A state word with a colour that does not carry the meaning alone. */
export function StateBadge(props: { state: string }) {
  const tone =
    props.state === 'ready' || props.state === 'ok'
      ? 'good'
      : props.state === 'backoff' || props.state === 'circuit-open'
        ? 'bad'
        : 'neutral';
  return <span class={`badge ${tone}`}>{props.state}</span>;
}

/**
 * A labelled form control: a `<label for>` naming the one control passed as the child (which gets
 * the id), so the label's text is the control's whole name (a wrapping label would add a select's
 * option texts to it).
 */
export function Field(props: { label: string; hint?: string; children: ComponentChildren; class?: string }) {
  const id = useId();
  const [control, ...rest] = toChildArray(props.children);
  return (
    <div class={props.class ?? 'field'}>
      <label for={id} class="label">
        {props.label}
      </label>
      {isValidElement(control) ? cloneElement(control, { id }) : control}
      {rest}
      {props.hint === undefined ? null : <small class="muted">{props.hint}</small>}
    </div>
  );
}

/** Formats an ISO time as a short local date and time. */
export function when(iso: string | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A display name and the store id derived from it (until the user edits the id). */
export interface NamedId {
  name: string;
  id: string;
  setName: (name: string) => void;
  setId: (id: string) => void;
}

/** State for {@link NameIdFields}. */
export function useNamedId(): NamedId {
  const [name, setName] = useState('');
  const [edited, setId] = useState<string | undefined>(undefined);
  return { name, id: edited ?? slugify(name), setName, setId };
}

/** "Name" and "ID" inputs; the ID follows the name (slugified) until edited. */
export function NameIdFields(props: { named: NamedId; idHint?: string }) {
  const { named } = props;
  return (
    <>
      <Field label="Name">
        <input value={named.name} required onInput={(e) => named.setName(e.currentTarget.value)} />
      </Field>
      <Field label="ID" hint={props.idHint ?? 'Lowercase letters, digits and -; what the CLI calls it.'}>
        <input
          value={named.id}
          required
          pattern="[a-z0-9][a-z0-9\-]*"
          onInput={(e) => named.setId(e.currentTarget.value)}
        />
      </Field>
    </>
  );
}

/** A dialog form's error line and its submit and Cancel buttons. */
export function DialogActions(props: {
  submit: string;
  action: { busy: boolean; error: unknown };
  onCancel: () => void;
  danger?: boolean;
  disabled?: boolean;
}) {
  return (
    <>
      <ErrorText error={props.action.error} />
      <div class="actions">
        <button
          type="submit"
          class={props.danger ? 'danger' : 'primary'}
          disabled={props.action.busy || props.disabled === true}
        >
          {props.submit}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}

/** A table's header row; an empty column name is read as "Actions" by screen readers only. */
export function TableHead(props: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {props.columns.map((c) => (
          <th key={c} scope="col">
            {c === '' ? <span class="offscreen">Actions</span> : c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A settings form's error line, its submit button and a "Saved." status once it worked. */
export function SaveActions(props: {
  submit: string;
  action: { busy: boolean; error: unknown };
  saved: boolean;
}) {
  return (
    <>
      <ErrorText error={props.action.error} />
      <div class="actions">
        <button type="submit" disabled={props.action.busy}>
          {props.submit}
        </button>
        {props.saved ? (
          <span role="status" class="muted">
            Saved.
          </span>
        ) : null}
      </div>
    </>
  );
}

/** A store id from a display name: lowercase letters, digits and "-" (the store's slug rule). */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
