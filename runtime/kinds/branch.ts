import { recordInfo } from '../types.js';
import { defineKind, type KindProblem } from './spec.js';

type Predicate = (value: unknown, key: string | null, record: ReturnType<typeof recordInfo>) => unknown;

/** The port for events that match no route. */
export const DEFAULT_PORT = 'default';

/** Route names in order: the YAML mapping's keys, or the list the graph spec carries. */
function routeNames(routes: unknown): string[] {
  if (Array.isArray(routes)) return routes.map(String);
  if (typeof routes === 'object' && routes !== null) return Object.keys(routes);
  return [];
}

export const branch = defineKind({
  kind: 'branch',
  category: 'transform',
  title: 'Branch',
  summary: 'Send each event to the output port of the first route whose predicate is true, or to the default port.',
  docs:
    'Each entry of `routes` names an output port and gives a predicate, e.g. ' +
    '`routes: { accepted: "value.status === \'ok\'", large: "value.amount > 1000" }`. Routes are tried in the ' +
    'order written; with `match: first` an event goes to the first route that matches, with `match: all` to every ' +
    'route that matches. Events that match none go to the `default` port. Wire each port to its own node, e.g. ' +
    '`input: route.accepted`. A predicate that throws sends the event to the error port, not to any route.',
  params: [
    {
      name: 'routes',
      type: 'expressions',
      title: 'Routes',
      description: 'Output port name → TypeScript predicate; events go to the ports whose predicate is true.',
      required: true,
      returns: 'boolean',
      placeholder: 'large: value.amount > 1000',
    },
    {
      name: 'match',
      type: 'enum',
      title: 'Match',
      description: 'Send an event to the first matching route only, or to every matching route.',
      enum: ['first', 'all'],
      default: 'first',
    },
  ],
  inputs: ['in'],
  outputs: [DEFAULT_PORT],
  outputsOf: (params) => [...routeNames(params.routes), DEFAULT_PORT],
  outputType: { from: 'input' },
  example: { params: { routes: { large: 'value.amount > 100' } }, input: { amount: 250 }, output: { amount: 250 } },
  validate(params) {
    const problems: KindProblem[] = [];
    const names = routeNames(params.routes);
    if (names.length === 0)
      problems.push({
        param: 'routes',
        code: 'PW120',
        message: 'A branch needs at least one route.',
        hint: 'Add e.g. routes: { large: value.amount > 1000 }.',
      });
    if (names.includes(DEFAULT_PORT)) {
      problems.push({
        param: 'routes',
        code: 'PW121',
        message: `"${DEFAULT_PORT}" is the port for events no route matches; a route cannot take its name.`,
        hint: 'Rename the route, or drop it and wire the default port.',
      });
    }
    return problems;
  },
  create({ params, fns }) {
    const routes = routeNames(params.routes).map((name) => ({ name, test: fns[`routes.${name}`] as Predicate }));
    const all = params.match === 'all';
    return {
      process(batch, _port, out) {
        for (const rec of batch) {
          const info = recordInfo(rec);
          const ports: string[] = [];
          try {
            for (const r of routes) {
              if (!r.test(rec.value, rec.key, info)) continue;
              ports.push(r.name);
              if (!all) break;
            }
          } catch (error) {
            out.fail(rec, error);
            continue;
          }
          if (ports.length === 0) ports.push(DEFAULT_PORT);
          for (const port of ports) out.emit(port, rec);
        }
      },
    };
  },
});
