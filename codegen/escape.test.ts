import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { execFileSync } from 'node:child_process';
import { commentText, markdownText, mermaidLabel, shellWord, tsString, yamlString } from './escape.js';

const NASTY = ['plain', `quo"te's`, 'back\\slash', 'line\nbreak', 'dollar $(rm -rf /) `x`', '\u2028sep\u2029', '*/ close', '{{ curly }}', '#; <b>'];

describe('escapers', () => {
  it.each(NASTY)('tsString round-trips %j through the JS parser', (s) => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the JS parser itself reads the escaped literal back
    expect(new Function(`return ${tsString(s)};`)()).toBe(s);
  });
  it.each(NASTY)('yamlString round-trips %j through the YAML parser', (s) => {
    expect(parse(`v: ${yamlString(s)}`).v).toBe(s);
  });
  it.each(NASTY)('shellWord reaches the shell as the single word %j', (s) => {
    expect(execFileSync('sh', ['-c', `printf %s ${shellWord(s)}`]).toString()).toBe(s);
  });
  it('keeps comments, Markdown and Mermaid labels inert', () => {
    expect(commentText('a */ b\nc')).not.toMatch(/\*\/|\n/);
    expect(markdownText('<script>|x|')).not.toMatch(/(^|[^\\])[<|]/);
    expect(mermaidLabel('a"]; click x')).not.toMatch(/"[^"]*"[^"]*"/);
  });
});
