/**
 * Full-text search over the tools of one resolved view (lean mode, DESIGN §14).
 *
 * Engine: a small BM25F written here, not a library. The index is built per resolved view (so a
 * denied tool is never indexed, and no statistic of one can shape a score) and rebuilt on every
 * view change (a grant change, a FeatureSet edit, an upstream's list change), so its build time is on
 * the path from a grant to the next search. Measured on the 2,000-tool bench catalog (2 cores):
 * MiniSearch 7.2 (BM25+, the best of the maintained libraries on the registry for this: field
 * boosts, custom tokenizer, prefix and fuzzy search) built in 150-450 ms with p95 search latency of
 * ~20 ms (its fuzzy search walks the radix tree); this index builds in a few tens of ms and answers
 * in well under a millisecond, with the same ranking model (BM25 over weighted fields, prefix and
 * one-typo matches at a discount). FlexSearch has no BM25 and contextual scoring tied to term order;
 * lunr is unmaintained since 2020; Orama is a larger async-first engine; SQLite FTS5 would tie search
 * to the store backend (PostgreSQL has none) while the view, not the store, decides what a client
 * may use. See bench/lean.
 *
 * Ranking: BM25F (k1 1.2, b 0.75) over five weighted fields: the exposed name split into words (x3:
 * what the tool is), the server alias (x1), title (x2), description (x1), parameter names and
 * descriptions (x0.5). Terms are split at non-alphanumerics and CamelCase humps (a word with humps is
 * also indexed whole: "GitHub" as github, git, hub), lowercased, stop words dropped and lightly
 * stemmed. Each query word (split at non-alphanumerics only: "GitHub" stays one word) has
 * alternatives: itself (weight 1), a few general synonyms (folder/directory, repo/repository, PR/pull
 * request, remove/delete...; 0.6) and its WordNet relatives (0.3: the synonyms, derivations and
 * similar adjectives of its common senses, and those of the two-word collocation it starts, "look
 * for" -> search; table generated from WordNet 3.1 by wordnet.generate.mjs). Each alternative also
 * matches indexed terms it is a prefix of (4+ characters, x0.5) and terms one edit away (5+
 * characters, x0.3); per query word a tool counts its best match. The sum is then scaled by the
 * square root of the share of query words the tool matched (coordination), so a tool that covers
 * the task's words ranks above one that matches a single word strongly. A full Porter stemmer
 * (`stemmer` on npm) was measured in place of the light one and gained nothing on the query sets.
 */
import type { Tool } from '@modelcontextprotocol/server';
import { WORDNET_EXPANSIONS } from './wordnet-synonyms.js';

/** One search hit. */
export interface ToolHit {
  /** The exposed name (what `tools/call` and `mcpmux_call_tool` take). */
  name: string;
  /** The first sentence of the description, at most 160 characters. */
  description: string;
  /** Relevance, higher is better (BM25F, rounded to 2 decimals). */
  score: number;
  /** The tool itself (the caller adds its input schema when asked). */
  tool: Tool;
}

/** Searches one view's tools. */
export interface ToolSearchIndex {
  /** Number of tools indexed. */
  readonly size: number;
  /** The best `limit` tools for `query`, best first (ties: the view's order). */
  search(query: string, limit: number): ToolHit[];
}

/** Common English words that carry no signal in a task description or a tool description. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be by can could do does for from has have how i if in into is it its me my of ' +
    'on or our please should so some that the their them then there these this to us was we what ' +
    'when where which while who will with would you your want need like'
  ).split(' '),
);

/**
 * General synonyms of tool vocabulary (query side only; each side is stemmed like any term). Kept to
 * words any tool catalog uses; never specific to one server.
 */
const SYNONYMS: Record<string, string[]> = {
  folder: ['directory'],
  directory: ['folder'],
  dir: ['directory', 'folder'],
  repo: ['repository'],
  pr: ['pull', 'request'],
  remove: ['delete'],
  erase: ['delete'],
  delete: ['remove'],
  find: ['search'],
  make: ['create'],
  save: ['write'],
  new: ['create'],
  rename: ['move'],
  picture: ['image'],
  photo: ['image'],
  image: ['media'],
  fetch: ['get'],
};

/** A file name (`notes.txt`, `*.log`) in a query stands for "file"; a path (`docs/api`) for "path". */
const FILE_NAME = /^[\w*?.-]*\.[a-z0-9]{1,5}$/i;
const PATH = /^[\w*?.~-]*\/[\w*?./~-]*$/;
/** Anything but letters and digits. */
const NON_WORD = /[^\p{L}\p{N}]+/u;

/** One word of the query: the alternatives it matches (itself first, weight 1), best one counts. */
type QueryWord = [term: string, weight: number][];

/** lemma -> where its line starts in {@link WORDNET_EXPANSIONS}, indexed on first use (~15 ms). */
let wordnet: Map<string, number> | undefined;

/** The WordNet expansions of a lemma (a word, or two joined by `_`). */
function wordnetOf(lemma: string): string[] | undefined {
  const text = WORDNET_EXPANSIONS;
  if (wordnet === undefined) {
    wordnet = new Map();
    for (let start = 0; start < text.length; ) {
      const end = text.indexOf('\n', start);
      wordnet.set(text.slice(start, text.indexOf(' ', start)), start);
      start = end === -1 ? text.length : end + 1;
    }
  }
  const start = wordnet.get(lemma);
  if (start === undefined) return undefined;
  const end = text.indexOf('\n', start);
  return text
    .slice(start, end === -1 ? text.length : end)
    .split(' ')
    .slice(1);
}

/** WordNet's detachment rules (its `morphy`): inflected ending -> base ending. */
const DETACH: readonly [suffix: string, ending: string][] = [
  ['ies', 'y'],
  ['es', ''],
  ['es', 'e'],
  ['s', ''],
  ['ed', ''],
  ['ed', 'e'],
  ['ing', ''],
  ['ing', 'e'],
];

/** The candidate base forms of a word, the word itself first ("named" -> named, nam, name). */
function baseForms(word: string): string[] {
  const out = [word];
  for (const [suffix, ending] of DETACH) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
      out.push(word.slice(0, -suffix.length) + ending);
    }
  }
  return out;
}

/** The WordNet expansions of a query word, looked up by its first base form WordNet knows. */
function related(word: string): string[] {
  for (const form of baseForms(word)) {
    const r = wordnetOf(form);
    if (r !== undefined) return r;
  }
  return [];
}

/**
 * The query's words, each with its alternatives: the word itself (weight 1), the general synonyms
 * (0.6), the WordNet expansions of the word and of the two-word collocation it starts ("look for" ->
 * search; 0.3); a file name or path stands for "file" or "path". Query words are split at anything
 * but letters and digits, not at CamelCase humps: "GitHub" is one word in a task description.
 */
function queryWords(query: string): QueryWord[] {
  const out: QueryWord[] = [];
  /** The raw lowercase tokens, stop words included (collocations need them); '' for a file name. */
  const tokens: string[] = [];
  for (const chunk of query.split(/\s+/)) {
    const bare = chunk.replace(/^["'`(]+|["'`),;:!?]+$/g, '');
    const last = bare.split('/').pop() ?? '';
    const isFile = FILE_NAME.test(last) && /[a-z]/i.test(last.split('.').pop() ?? '');
    if (PATH.test(bare)) out.push([['path', 1]]);
    if (isFile) out.push([['file', 1]]);
    if (isFile || PATH.test(bare)) {
      tokens.push('');
      continue;
    }
    for (const token of chunk.split(NON_WORD)) if (token !== '') tokens.push(token.toLowerCase());
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const t = normalize(token);
    if (t === undefined) continue;
    const word: QueryWord = [[t, 1]];
    const add = (text: string, weight: number) => {
      const s = normalize(text);
      if (s !== undefined && !word.some(([x]) => x === s)) word.push([s, weight]);
    };
    for (const synonym of SYNONYMS[token] ?? []) add(synonym, SYNONYM_WEIGHT);
    for (const r of related(token)) add(r, WORDNET_WEIGHT);
    const next = tokens[i + 1];
    if (next !== undefined && next !== '') {
      for (const form of baseForms(token)) {
        const collocation = wordnetOf(`${form}_${next}`);
        if (collocation === undefined) continue;
        for (const r of collocation) add(r, WORDNET_WEIGHT);
        break;
      }
    }
    out.push(word);
  }
  return out;
}

/** Splits text into word tokens: at anything but letters and digits, and at camelCase humps. */
export function splitWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z]{2,})/g, '$1 $2')
    .split(NON_WORD)
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

/** token -> its normalized term (bounded; the words of tool catalogs repeat a lot). */
const normalized = new Map<string, string | undefined>();

/** One token as indexed: lowercase, stop words dropped, stemmed, a trailing 'e' folded ("creat"). */
function normalize(token: string): string | undefined {
  const cached = normalized.get(token);
  if (cached !== undefined || normalized.has(token)) return cached;
  const lower = token.toLowerCase();
  let out: string | undefined;
  if (lower.length > 0 && !STOP_WORDS.has(lower)) {
    const s = stem(lower);
    out = s.length > 4 && s.endsWith('e') ? s.slice(0, -1) : s;
  }
  if (normalized.size < 50_000) normalized.set(token, out);
  return out;
}

/** A CamelCase hump (`readFile`, `HTTPServer`): the word is also split where {@link splitWords} does. */
const HUMP = /[a-z0-9][A-Z]|[A-Z][A-Z][a-z]/;

/**
 * The indexed terms of a text: its words split at CamelCase humps (identifiers: `issueNumber`), and
 * a word that has humps also whole (names: "GitHub" is indexed as github, git and hub).
 */
function terms(text: string): string[] {
  const out: string[] = [];
  const push = (token: string) => {
    const t = normalize(token);
    if (t !== undefined) out.push(t);
  };
  for (const whole of text.split(NON_WORD)) {
    if (whole === '') continue;
    push(whole);
    if (!HUMP.test(whole)) continue;
    const parts = splitWords(whole);
    if (parts.length > 1) for (const part of parts) push(part);
  }
  return out;
}

/** Parameter names and descriptions of an input schema (top level and one level of nesting). */
function paramText(schema: unknown, parts: string[] = [], depth = 0): string[] {
  if (schema === null || typeof schema !== 'object' || depth > 1) return parts;
  const properties = (schema as { properties?: unknown }).properties;
  if (properties === null || typeof properties !== 'object') return parts;
  for (const [name, value] of Object.entries(properties as Record<string, unknown>)) {
    parts.push(name);
    if (value !== null && typeof value === 'object') {
      const v = value as { description?: unknown; title?: unknown; items?: unknown };
      if (typeof v.title === 'string') parts.push(v.title);
      if (typeof v.description === 'string') parts.push(v.description);
      paramText(value, parts, depth + 1);
      if (v.items !== undefined) paramText(v.items, parts, depth + 1);
    }
  }
  return parts;
}

/** The first sentence of a description, on one line, at most 160 characters. */
export function oneLine(description: string | undefined): string {
  if (description === undefined) return '';
  const flat = description.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length <= 160 ? sentence : `${sentence.slice(0, 159).trimEnd()}…`;
}

const K1 = 1.2;
const B = 0.75;
const FIELD_WEIGHTS = { words: 3, server: 1, title: 2, description: 1, params: 0.5 } as const;
const PREFIX_WEIGHT = 0.5;
const FUZZY_WEIGHT = 0.3;
const SYNONYM_WEIGHT = 0.6;
const WORDNET_WEIGHT = 0.3;

/**
 * The weighted field texts of one tool. The `<alias>_` part of an exposed name says which server,
 * not what the tool does: it is its own, lighter field.
 */
function fieldsOf(tool: Tool, alias: string | undefined): [text: string, weight: number][] {
  const annotations = tool.annotations as { title?: unknown } | undefined;
  const titles = [tool.title, annotations?.title].filter((t): t is string => typeof t === 'string');
  const prefixed = alias !== undefined && tool.name.startsWith(`${alias}_`);
  return [
    [prefixed ? tool.name.slice(alias.length + 1) : tool.name, FIELD_WEIGHTS.words],
    [prefixed ? alias : '', FIELD_WEIGHTS.server],
    [titles.join(' '), FIELD_WEIGHTS.title],
    [tool.description ?? '', FIELD_WEIGHTS.description],
    [paramText(tool.inputSchema).join(' '), FIELD_WEIGHTS.params],
  ];
}

/** True when `a` and `b` are at most one edit (insert, delete, substitute) apart. */
function withinOneEdit(a: string, b: string): boolean {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // After the first difference, skip one character of the longer (or both) and compare the rest.
  let x = la > lb ? i + 1 : la === lb ? i + 1 : i;
  let y = lb > la ? i + 1 : la === lb ? i + 1 : i;
  while (x < la && y < lb) if (a.charCodeAt(x++) !== b.charCodeAt(y++)) return false;
  return true;
}

/**
 * Builds the search index of `tools` (a view's tools, in its order).
 * @param tools - the tools the client may use; nothing else is ever indexed or returned.
 * @param aliasOf - the alias that prefixes a tool's exposed name, when it is prefixed.
 */
export function buildToolSearchIndex(
  tools: readonly Tool[],
  aliasOf: (exposedName: string) => string | undefined = () => undefined,
): ToolSearchIndex {
  const n = tools.length;
  // BM25F: per field, term frequencies are normalised by the field's length relative to its average
  // length (so a long description or schema does not drown a precise name), weighted, then summed
  // into one pseudo-frequency per (term, tool) that goes through BM25's saturation once.
  const fieldTerms: string[][][] = [];
  const fieldCount = 5;
  const totals = new Float64Array(fieldCount);
  for (let doc = 0; doc < n; doc++) {
    const tool = tools[doc] as Tool;
    const perField = fieldsOf(tool, aliasOf(tool.name)).map(([text]) => terms(text));
    perField.forEach((list, f) => {
      totals[f] = (totals[f] as number) + list.length;
    });
    fieldTerms.push(perField);
  }
  const averages = Array.from(totals, (t) => (n === 0 ? 1 : t / n || 1));
  const weights = Object.values(FIELD_WEIGHTS);
  /** term -> [doc, pseudo-frequency, doc, pseudo-frequency, ...]. */
  const postings = new Map<string, number[]>();
  for (let doc = 0; doc < n; doc++) {
    const tf = new Map<string, number>();
    (fieldTerms[doc] as string[][]).forEach((list, f) => {
      const norm = (weights[f] as number) / (1 - B + (B * list.length) / (averages[f] as number));
      for (const t of list) tf.set(t, (tf.get(t) ?? 0) + norm);
    });
    for (const [t, f] of tf) {
      let list = postings.get(t);
      if (list === undefined) {
        list = [];
        postings.set(t, list);
      }
      list.push(doc, f);
    }
  }
  const vocabulary = [...postings.keys()].sort();
  const idf = (df: number): number => Math.log(1 + (n - df + 0.5) / (df + 0.5));

  /**
   * Indexed terms a query term matches, with their weight (the exact term 1, the others less). Typos
   * are looked for only for the words of the query themselves, not for their synonyms.
   */
  const expand = (term: string, typos: boolean): Map<string, number> => {
    const expansions = typos ? withTypos : withoutTypos;
    const cached = expansions.get(term);
    if (cached !== undefined) return cached;
    const out = new Map<string, number>();
    const add = (t: string, w: number) => {
      if ((out.get(t) ?? 0) < w) out.set(t, w);
    };
    if (postings.has(term)) add(term, 1);
    if (term.length >= 4) {
      let lo = 0;
      let hi = vocabulary.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((vocabulary[mid] as string) < term) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < vocabulary.length && (vocabulary[i] as string).startsWith(term); i++) {
        add(vocabulary[i] as string, PREFIX_WEIGHT);
      }
    }
    if (typos && term.length >= 5) {
      // A typo rarely hits the first letter: only terms that share it are compared.
      const first = term.charCodeAt(0);
      for (const v of vocabulary) {
        if (v.charCodeAt(0) === first && withinOneEdit(term, v)) add(v, FUZZY_WEIGHT);
      }
    }
    if (expansions.size < 10_000) expansions.set(term, out);
    return out;
  };
  /** Query term -> its expansion (the vocabulary is fixed for the index's life). */
  const withTypos = new Map<string, Map<string, number>>();
  const withoutTypos = new Map<string, Map<string, number>>();

  return {
    size: n,
    search(query: string, limit: number): ToolHit[] {
      if (n === 0 || limit < 1) return [];
      const scores = new Float64Array(n);
      const matched = new Float64Array(n);
      /** The current query word's best score per tool (0: no match yet). */
      const best = new Float64Array(n);
      let words = 0;
      const seen = new Set<string>();
      for (const word of queryWords(query)) {
        const first = word[0]?.[0] as string;
        if (seen.has(first)) continue;
        seen.add(first);
        // Per query word, each document counts its best match among the word's alternatives and
        // their prefix and typo expansions.
        const touched: number[] = [];
        for (const [term, termWeight] of word) {
          for (const [indexed, matchWeight] of expand(term, termWeight === 1)) {
            const list = postings.get(indexed) as number[];
            const weight = idf(list.length / 2) * matchWeight * termWeight;
            for (let i = 0; i < list.length; i += 2) {
              const doc = list[i] as number;
              const f = list[i + 1] as number;
              const s = (weight * f * (K1 + 1)) / (f + K1);
              const before = best[doc] as number;
              if (before === 0) touched.push(doc);
              if (s > before) best[doc] = s;
            }
          }
        }
        for (const doc of touched) {
          scores[doc] = (scores[doc] as number) + (best[doc] as number);
          matched[doc] = (matched[doc] as number) + 1;
          best[doc] = 0;
        }
        words++;
      }
      // Coordination: a tool that matches more of the query's words ranks above one that matches
      // fewer words strongly (a task's words each say something about the tool wanted).
      for (let doc = 0; doc < n; doc++) {
        const m = matched[doc] as number;
        if (m > 0) scores[doc] = (scores[doc] as number) * Math.sqrt(m / words);
      }
      const ranked: number[] = [];
      for (let doc = 0; doc < n; doc++) if ((scores[doc] as number) > 0) ranked.push(doc);
      ranked.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
      return ranked.slice(0, limit).map((doc) => {
        const tool = tools[doc] as Tool;
        return {
          name: tool.name,
          description: oneLine(tool.description),
          score: Math.round((scores[doc] as number) * 100) / 100,
          tool,
        };
      });
    },
  };
}

const memo = new WeakMap<object, ToolSearchIndex>();

/**
 * The search index of a view's tools, built once per view object (views are memoized per (client,
 * Space) and replaced on invalidation, so the index lives and dies with the view's memo entry).
 */
export function searchIndexOf(view: {
  readonly tools: readonly Tool[];
  readonly toolRoutes?: ReadonlyMap<string, { readonly server: { readonly alias: string } }>;
}): ToolSearchIndex {
  let index = memo.get(view);
  if (index === undefined) {
    const routes = view.toolRoutes;
    index = buildToolSearchIndex(view.tools, (name) => routes?.get(name)?.server.alias);
    memo.set(view, index);
  }
  return index;
}
