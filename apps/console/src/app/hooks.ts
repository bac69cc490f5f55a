import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { onTopics, type Topic } from './live';

/** The state of one API read. */
export interface Resource<T> {
  /** The last answer (kept while a refetch runs, so pages do not flicker). */
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetches again now. */
  reload: () => void;
}

/**
 * Reads `GET path` and reads it again whenever one of `topics` changes (live events) or the path
 * changes. A `null` path reads nothing. Refetches triggered while one runs are coalesced into one.
 */
export function useApi<T>(path: string | null, topics: Topic[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const state = useRef({ running: false, again: false, path, alive: true });
  state.current.path = path;

  const run = useCallback(async () => {
    const s = state.current;
    if (s.path === null) return;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    do {
      s.again = false;
      const asked: string | null = s.path;
      if (asked === null) break;
      try {
        const value = await api.get<T>(asked);
        if (s.alive && asked === s.path) {
          setData(value);
          setError(undefined);
        }
      } catch (e) {
        if (s.alive && asked === s.path) setError(e as Error);
      }
    } while (s.again && s.alive);
    s.running = false;
    if (s.alive) setLoading(false);
  }, []);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    setLoading(path !== null);
    void run();
  }, [path, run]);

  const key = topics.join(',');
  useEffect(() => {
    const wanted = new Set(topics);
    return onTopics((changed) => {
      for (const t of changed) {
        if (wanted.has(t)) {
          void run();
          return;
        }
      }
    });
  }, [key, run]);

  useEffect(() => {
    state.current.alive = true;
    return () => {
      state.current.alive = false;
    };
  }, []);

  return { data, error, loading, reload: () => void run() };
}
