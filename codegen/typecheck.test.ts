import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { typecheckInNode } from './node-typecheck.js';
import { parsePipeline } from './parse.js';
import type { Pipeline } from './pipeline.js';

const example = readFileSync(new URL('../examples/large-orders/pipeline.yaml', import.meta.url), 'utf8');

function withExpression(param: 'where' | 'to', expression: string): Pipeline {
  const p = parsePipeline(example).pipeline!;
  const node = p.nodes.find((n) => n.params[param] !== undefined)!;
  node.params[param] = expression;
  return p;
}

describe('typecheckPipeline', () => {
  it('accepts the example', () => {
    expect(typecheckInNode(parsePipeline(example).pipeline!)).toEqual([]);
  });

  it('reports a misspelt field against the node and parameter, with a hint', () => {
    const [p, ...rest] = typecheckInNode(withExpression('where', 'value.amout >= 100'));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'PW034', nodeId: 'large', path: ['nodes', 1, 'where'] });
    expect(p.message).toMatch(/amout/);
    expect(p.message).toMatch(/column 7/);
    expect(p.hint).toMatch(/sample events/);
  });

  it('types a map result downstream: a field dropped by the map cannot be used after it', () => {
    const p = parsePipeline(example).pipeline!;
    p.nodes.find((n) => n.id === 'with-tax')!.params.to = '({ id: value.orderId })';
    p.nodes.find((n) => n.id === 'large-orders')!.params.key = 'value.customer';
    const problems = typecheckInNode(p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'PW034', nodeId: 'large-orders' });
  });

  it('reports unknown names with the list of what expressions can use', () => {
    const [p] = typecheckInNode(withExpression('where', 'amount > 1'));
    expect(p.hint).toMatch(/value, key and record/);
  });
});

describe('typecheckPipeline: the aggregate reducer', () => {
  const totals = (params: string, after = '') =>
    parsePipeline(`pipeline: totals
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    samples:
      - { key: c-1, value: { orderId: 1, amount: 250 } }
  - id: totals
    kind: aggregate
    input: orders
${params}
  - id: next
    kind: filter
    input: totals
    where: ${after || 'true'}
  - id: out
    kind: kafka-sink
    input: next
    topic: totals
`).pipeline!;
  const initial = '    initial: "({ orders: 0, biggest: 0 })"\n';

  it('types acc as what initial returns, and the result downstream as that type', () => {
    expect(
      typecheckInNode(
        totals(`${initial}    reduce: "({ orders: acc.orders + 1, biggest: Math.max(acc.biggest, value.amount) })"`, 'value.reduce.biggest > value.count'),
      ),
    ).toEqual([]);
    const [p, ...rest] = typecheckInNode(
      totals(`${initial}    reduce: "({ orders: acc.orders + 1, biggest: Math.max(acc.biggest, value.amount) })"`, 'value.reduce.smallest > 0'),
    );
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'PW034', nodeId: 'next' });
  });

  it('reports a reducer that returns another type than initial, or misspells a field of acc, on reduce', () => {
    const [wrong] = typecheckInNode(totals(`${initial}    reduce: "({ orders: acc.orders + 1, biggest: 'a lot' })"`));
    expect(wrong).toMatchObject({ code: 'PW034', nodeId: 'totals', path: ['nodes', 1, 'reduce'] });
    const [typo] = typecheckInNode(totals(`${initial}    reduce: "({ orders: acc.order + 1, biggest: 0 })"`));
    expect(typo).toMatchObject({ code: 'PW034', nodeId: 'totals', path: ['nodes', 1, 'reduce'] });
    expect(typo.message).toMatch(/order/);
  });

  it('types acc as the input without initial (Kafka Streams reduce), and only a reducer sees acc', () => {
    expect(typecheckInNode(totals('    reduce: "({ orderId: value.orderId, amount: acc.amount + value.amount })"'))).toEqual([]);
    const [p] = typecheckInNode(totals('    sum: acc.amount'));
    expect(p).toMatchObject({ code: 'PW034', nodeId: 'totals', path: ['nodes', 1, 'sum'] });
  });
});
