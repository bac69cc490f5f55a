import { describe, expect, it } from 'vitest';
import { toPostgresPlaceholders } from './sql.js';

describe('toPostgresPlaceholders', () => {
  it('numbers placeholders in order and leaves quoted question marks alone', () => {
    expect(toPostgresPlaceholders(`SELECT "a?" FROM t WHERE a = ? AND b = '?' AND c = ?`)).toBe(
      `SELECT "a?" FROM t WHERE a = $1 AND b = '?' AND c = $2`,
    );
  });
  it('treats a doubled quote inside a string as part of it', () => {
    expect(toPostgresPlaceholders(`SELECT 'it''s ?', ?`)).toBe(`SELECT 'it''s ?', $1`);
  });
  it('leaves a statement without placeholders unchanged', () => {
    expect(toPostgresPlaceholders('SELECT 1')).toBe('SELECT 1');
  });
});
