import { describe, expect, test } from 'vitest';
import { nextTheme, resolveTheme } from './theme.js';

describe('theme button', () => {
  test('visits every theme in three clicks, and its first click always changes what is shown', () => {
    for (const dark of [false, true]) {
      const seen = [nextTheme('system', dark)];
      while (seen.length < 3) seen.push(nextTheme(seen.at(-1)!, dark));
      expect(new Set(seen)).toEqual(new Set(['system', 'light', 'dark']));
      expect(seen.at(-1)).toBe('system');
      expect(resolveTheme(seen[0], dark)).not.toBe(resolveTheme('system', dark));
      // The second click changes what is shown too.
      expect(resolveTheme(seen[1], dark)).not.toBe(resolveTheme(seen[0], dark));
    }
  });
});
