import { expect, test } from 'vitest';
import type { Problem } from '../../codegen/errors.js';
import { KINDS } from '../../runtime/kinds/registry.js';
import { fileTree } from './CodePreview.js';
import { parseList, parseSamples, problemsOfNode, readJsonText } from './inspector-parse.js';
import { GROUPS, matchKinds } from './Palette.js';
import { withIgnored } from './TestsPanel.js';

test('the palette lists every kind of the registry in one of its groups, and search narrows it', () => {
  const grouped = GROUPS.flatMap((g) => KINDS.filter((k) => k.category === g.category));
  expect(grouped).toHaveLength(KINDS.length);
  expect(matchKinds('')).toHaveLength(KINDS.length);
  expect(matchKinds('kafka topic').map((k) => k.kind)).toEqual(expect.arrayContaining(['kafka-source', 'kafka-sink']));
  expect(matchKinds('filter').map((k) => k.kind)).toContain('filter');
  expect(matchKinds('no such thing')).toEqual([]);
  // The sinks, each named as its file, are found by what a newcomer types.
  expect(matchKinds('-sink').map((k) => k.kind)).toEqual(['kafka-sink', 'postgres-sink', 'http-sink', 'log-sink']);
});

test('samples: JSON lists of events, fields in the order the YAML reader gives them, reasons for the rest', () => {
  expect(parseSamples('')).toEqual({ samples: undefined });
  const ok = parseSamples('[{ "key": "c1", "value": { "amount": 3 } }]');
  expect(ok.samples).toEqual([{ value: { amount: 3 }, key: 'c1' }]);
  expect(Object.keys(ok.samples![0])).toEqual(['value', 'key']);
  expect(parseSamples('[{').error).toMatch(/Not valid JSON/);
  expect(parseSamples('{}').error).toMatch(/list/);
  expect(parseSamples('[{ "key": "a" }]').error).toMatch(/Event 1 .*value/);
  expect(parseSamples('[{ "value": 1, "colour": 2 }]').error).toMatch(/colour/);
});

test('lists and JSON parameters', () => {
  expect(parseList(' a, b ,, c ')).toEqual(['a', 'b', 'c']);
  expect(readJsonText('type: object\nrequired: [id]')).toEqual({ value: { type: 'object', required: ['id'] } });
  expect(readJsonText('{ "a": 1 }')).toEqual({ value: { a: 1 } });
  expect(readJsonText('')).toEqual({ value: undefined });
  expect(readJsonText('a: [').error).toMatch(/Not valid/);
});

test('problems land on the field they are about', () => {
  const p = (path: (string | number)[], nodeId = 'f'): Problem => ({ code: 'PW016', severity: 'error', message: '', hint: '', path, nodeId });
  const { byField, general } = problemsOfNode([p(['nodes', 0, 'where']), p(['nodes', 0, 'input']), p(['nodes', 0]), p(['nodes', 1, 'where'], 'g')], 'f');
  expect([...byField.keys()]).toEqual(['where']);
  expect(general).toHaveLength(2);
});

test('the file tree lists folders first, then files', () => {
  expect(fileTree(['src/runtime/a.ts', 'README.md', 'src/main.ts', 'k8s/x.yaml']).map((r) => `${'  '.repeat(r.depth)}${r.name}`)).toEqual([
    'k8s/',
    '  x.yaml',
    'src/',
    '  runtime/',
    '    a.ts',
    '  main.ts',
    'README.md',
  ]);
});

test('the Tests tab ignores a sink or the dead letters, dropping what the test expected of it, and checks it again', () => {
  const test = { name: 't', input: {}, expect: { out: [{ value: 1 }], audit: [{ value: 2 }] }, deadLetters: 2 };
  const ignored = withIgnored(withIgnored(test, 'out', true), 'dead-letters', true);
  expect(ignored).toEqual({ name: 't', input: {}, expect: { audit: [{ value: 2 }] }, ignore: ['out', 'dead-letters'] });
  expect(withIgnored(withIgnored(ignored, 'out', false), 'dead-letters', false)).toEqual({ name: 't', input: {}, expect: { audit: [{ value: 2 }] } });
  expect(withIgnored(test, 'out', false)).toEqual(test);
});
