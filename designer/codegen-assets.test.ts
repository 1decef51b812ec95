import { expect, test } from 'vitest';
import { nodeAssets } from '../codegen/node-assets.js';
import { codegenAssets } from './codegen-assets.js';

// Preview and export must run generate on exactly what the CLI reads from disk.
test('the bundled assets are the files the CLI reads', () => {
  const disk = nodeAssets();
  expect(Object.keys(codegenAssets.runtime).sort()).toEqual(Object.keys(disk.runtime).sort());
  expect(Object.keys(codegenAssets.templates).sort()).toEqual(Object.keys(disk.templates).sort());
  for (const [k, v] of Object.entries(disk.runtime)) expect(codegenAssets.runtime[k], k).toBe(v);
  for (const [k, v] of Object.entries(disk.templates)) expect(codegenAssets.templates[k], k).toBe(v);
  expect(codegenAssets.lockfile).toBe(disk.lockfile);
});
