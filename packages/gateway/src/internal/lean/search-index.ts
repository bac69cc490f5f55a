/**
 * Full-text search over the tools of one resolved view (lean mode, DESIGN §14).
 *
 * Engine: MiniSearch (`minisearch`, MIT, no dependencies, maintained since 2018). Why it and not the
 * others: it ranks with BM25+ per field with field boosts (what a short-document catalog needs:
 * a name hit must beat a long description that mentions the word once), takes a custom tokenizer
 * and term processor (snake/camel/kebab splitting and a light stemmer here), does prefix and fuzzy
 * matching over a radix tree, is synchronous and in-memory (an index per view, built in a few
 * milliseconds for 2,000 tools), and has its own TypeScript types. FlexSearch is faster on large
 * corpora but its relevance tuning is coarser (no BM25, contextual scoring tied to term order) and
 * its typings are uneven; lunr is unmaintained since 2020; Orama is a larger, async-first engine;
 * SQLite FTS5 would tie search to the store backend (PostgreSQL has none) and the view, not the
 * store, is what decides which tools a client may use. Writing BM25 by hand would re-implement what
 * MiniSearch already does well (prefix/fuzzy matching included).
 *
 * The index covers only the tools in the view it is built from, so a denied tool can never be
 * found. It is memoized per view object: views are memoized per (client, Space) and dropped on every
 * invalidation (a grant change, a FeatureSet edit, an upstream's list change), so the index follows.
 */
import type { Tool } from '@modelcontextprotocol/server';
import MiniSearch from 'minisearch';

/** One search hit. */
export interface ToolHit {
  /** The exposed name (what `tools/call` and `mcpmux_call_tool` take). */
  name: string;
  /** The first sentence of the description, at most 160 characters. */
  description: string;
  /** Relevance, higher is better (BM25+, rounded to 2 decimals). */
  score: number;
  /** The tool itself (the caller adds its input schema when asked). */
  tool: Tool;
}

/** Searches one view's tools. */
export interface ToolSearchIndex {
  /** Number of tools indexed. */
  readonly size: number;
  /** The best `limit` tools for `query`, best first. */
  search(query: string, limit: number): ToolHit[];
}

interface Doc {
  id: number;
  words: string;
  title: string;
  description: string;
  params: string;
}

/** Common English words that carry no signal in a task description or a tool description. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be by can could do does for from has have how i if in into is it its me my of ' +
    'on or our please should so some that the their them then there these this to up us was we what ' +
    'when where which while who will with would you your want need like get'
  ).split(' '),
);

/** Splits text into word tokens: on anything but letters and digits, and at camelCase humps. */
export function splitWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z]{2,})/g, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/**
 * A light English stemmer (plural and verb endings), applied to indexed and query terms alike so
 * "files"/"file", "creating"/"create" and "issues"/"issue" meet. Short words are left alone.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('ing') && w.length > 5) {
    w = w.slice(0, -3);
    if (/([^aeiou])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
    return w;
  }
  if (w.endsWith('ed') && w.length > 4) {
    w = w.slice(0, -2);
    if (/([^aeiou])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
    return w;
  }
  if (w.endsWith('es') && /(ch|sh|x|z)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  return w;
}

/** The normalisation of one token: lowercase, stop words dropped, stemmed; 'e' endings folded. */
function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  if (lower.length === 0 || STOP_WORDS.has(lower)) return null;
  const s = stem(lower);
  // "create"/"creating" -> "creat": fold a trailing 'e' so both forms meet.
  return s.length > 4 && s.endsWith('e') ? s.slice(0, -1) : s;
}

/** Parameter names and descriptions of an input schema (top level and one level of nesting). */
function paramText(schema: unknown, depth = 0): string {
  if (schema === null || typeof schema !== 'object' || depth > 1) return '';
  const properties = (schema as { properties?: unknown }).properties;
  if (properties === null || typeof properties !== 'object') return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(properties as Record<string, unknown>)) {
    parts.push(name);
    if (value !== null && typeof value === 'object') {
      const v = value as { description?: unknown; title?: unknown; items?: unknown };
      if (typeof v.title === 'string') parts.push(v.title);
      if (typeof v.description === 'string') parts.push(v.description);
      parts.push(paramText(value, depth + 1));
      if (v.items !== undefined) parts.push(paramText(v.items, depth + 1));
    }
  }
  return parts.join(' ');
}

/** The first sentence of a description, on one line, at most 160 characters. */
export function oneLine(description: string | undefined): string {
  if (description === undefined) return '';
  const flat = description.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length <= 160 ? sentence : `${sentence.slice(0, 159).trimEnd()}…`;
}

function toDoc(tool: Tool, id: number): Doc {
  const annotations = tool.annotations as { title?: unknown } | undefined;
  const titles = [tool.title, annotations?.title].filter((t): t is string => typeof t === 'string');
  return {
    id,
    words: splitWords(tool.name).join(' '),
    title: titles.join(' '),
    description: tool.description ?? '',
    params: paramText(tool.inputSchema),
  };
}

const FIELDS = ['words', 'title', 'description', 'params'];

/**
 * Builds the search index of `tools` (a view's tools, in its order).
 *
 * Fields and boosts: the exposed name split into words (x3: what the tool is), the title (x2), the
 * description (x1) and the parameter names and descriptions (x0.5: what it takes, weaker evidence).
 * Query terms of 4+ characters also match as prefixes and, from 5 characters, with one typo.
 */
export function buildToolSearchIndex(tools: readonly Tool[]): ToolSearchIndex {
  const engine = new MiniSearch<Doc>({
    fields: FIELDS,
    tokenize: splitWords,
    processTerm,
    searchOptions: {
      boost: { words: 3, title: 2, description: 1, params: 0.5 },
      prefix: (term) => term.length >= 4,
      fuzzy: (term) => (term.length >= 5 ? 1 : false),
      maxFuzzy: 1,
      combineWith: 'OR',
    },
  });
  engine.addAll(tools.map(toDoc));
  return {
    size: tools.length,
    search(query: string, limit: number): ToolHit[] {
      const hits: ToolHit[] = [];
      for (const r of engine.search(query)) {
        const tool = tools[r.id as number];
        if (tool === undefined) continue;
        hits.push({
          name: tool.name,
          description: oneLine(tool.description),
          score: Math.round(r.score * 100) / 100,
          tool,
        });
        if (hits.length >= limit) break;
      }
      return hits;
    },
  };
}

const memo = new WeakMap<object, ToolSearchIndex>();

/**
 * The search index of a view's tools, built once per view object (views are memoized per (client,
 * Space) and replaced on invalidation, so the index lives and dies with the view's memo entry).
 */
export function searchIndexOf(view: { readonly tools: readonly Tool[] }): ToolSearchIndex {
  let index = memo.get(view);
  if (index === undefined) {
    index = buildToolSearchIndex(view.tools);
    memo.set(view, index);
  }
  return index;
}
