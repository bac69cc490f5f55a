/** What {@link compileReadmeSnippets} found. */
export interface ReadmeSnippetReport {
  /** How many ```ts blocks the README holds. */
  snippets: number;
  /** One line per type error (`snippet-N.ts: message`); empty when every snippet compiles. */
  problems: string[];
}

/**
 * Type-checks every ```ts block of `<packageRoot>/README.md` as its own module, under the
 * repository's strict settings, from a scratch folder inside the package (so the package's own
 * name resolves to its built `dist` by self-reference). The scratch folder is removed afterwards.
 */
export function compileReadmeSnippets(packageRoot: string): ReadmeSnippetReport;
