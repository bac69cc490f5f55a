import { useApi } from './hooks';
import { href, navigate } from './router';
import type { Space } from './types';
import { Field } from './ui';

/** The Space a page shows: the `space` query parameter, else the active Space. */
export function useViewedSpace(param: string | null): {
  spaces: Space[] | undefined;
  space: Space | undefined;
} {
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const list = spaces.data;
  const space =
    list?.find((s) => s.id === param) ?? (param === null ? list?.find((s) => s.active) : undefined);
  return { spaces: list, space };
}

/** A "Space" select that changes the page's `space` query parameter (keeping `keep` parameters). */
export function SpacePicker(props: {
  page: string[];
  spaces: Space[] | undefined;
  value: string | undefined;
  keep?: Record<string, string | undefined>;
}) {
  return (
    <Field label="Space" class="picker">
      <select
        value={props.value ?? ''}
        onChange={(e) => navigate(href(...props.page, { ...props.keep, space: e.currentTarget.value }))}
      >
        {(props.spaces ?? []).map((s) => (
          <option key={s.id} value={s.id}>
            {s.icon ? `${s.icon} ` : ''}
            {s.name}
            {s.active ? ' (active)' : ''}
          </option>
        ))}
      </select>
    </Field>
  );
}
