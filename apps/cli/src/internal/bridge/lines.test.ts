import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';

function feed(max: number, chunks: string[]) {
  const splitter = new LineSplitter(max);
  const out: string[] = [];
  for (const chunk of chunks) {
    splitter.push(Buffer.from(chunk), {
      line: (l) => out.push(`line:${l.toString()}`),
      overflow: (p, end) => out.push(`over:${p.toString()}${end ? '|' : ''}`),
    });
  }
  return out;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and splits chunks holding several lines', () => {
    expect(feed(100, ['{"a"', ':1}\n{"b":2}\n{"c"', ':3}\n'])).toEqual([
      'line:{"a":1}',
      'line:{"b":2}',
      'line:{"c":3}',
    ]);
  });

  it('passes a line over the limit through in pieces and goes on with the next line', () => {
    expect(feed(4, ['abc', 'defg', 'hi\nok\n'])).toEqual(['over:abcdefg', 'over:hi|', 'line:ok']);
    expect(feed(4, ['abcdefgh\nok\n'])).toEqual(['over:abcdefgh|', 'line:ok']);
  });
});
