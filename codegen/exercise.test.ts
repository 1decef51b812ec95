/** Exercise files: a bad one gets each problem at its line, with how to fix it. */
import { describe, expect, it } from 'vitest';
import { formatExerciseProblem, readExercise } from './exercise.js';

const FILE = 'examples/x/exercises/01-keys.yaml';
const GOOD = `id: keys
title: Keys
concept: keys and partitions
order: 1
goal: Keep a customer's orders in one partition.
start:
  pipeline: pipelines/keys-start.yaml
  simulator: { replicas: 2, rate: 5 }
run: { seconds: 3 }
allowed: [edit-pipeline, kill-replica]
check:
  - { kind: key-in-one-partition, topic: out, field: customer }
hints:
  - Look at the partitions.
solution:
  pipeline: pipelines/keys-solution.yaml
  actions:
    - { at: 1, do: kill-replica }
  explain: Key by customer.
`;

const problems = (text: string, file = FILE) => readExercise(text, file).problems.map(formatExerciseProblem);

describe('readExercise', () => {
  it('reads a valid file', () => {
    const { exercise, problems: found } = readExercise(GOOD, FILE);
    expect(found).toEqual([]);
    expect(exercise?.check).toEqual([{ kind: 'key-in-one-partition', topic: 'out', field: 'customer' }]);
    expect(exercise?.solution.actions).toEqual([{ at: 1, do: 'kill-replica' }]);
  });

  it('names a missing field, an unknown one, and a misspelt check kind at their lines', () => {
    const text = GOOD.replace("goal: Keep a customer's orders in one partition.\n", 'gaol: oops\n').replace(
      'kind: key-in-one-partition',
      'kind: key-in-one-partitoin',
    );
    expect(problems(text)).toEqual([
      `${FILE}:1:1: The exercise has no "goal". Add \`goal:\` (see the exercise format in README.md, "Workshops").`,
      `${FILE}:5:7: The exercise has an unknown field "gaol". Remove it, or check its spelling against the exercise format.`,
      expect.stringMatching(new RegExp(`^${FILE}:12:13: "check.0.kind" is not one of the accepted values. Use one of: lag-below, .*no-data-lost\\.$`)),
    ]);
  });

  it("checks each check's parameters against its kind, and each action's against its name", () => {
    const text = GOOD.replace('field: customer', 'feild: customer').replace('{ at: 1, do: kill-replica }', '{ at: 1, do: kill-broker }');
    const found = problems(text);
    expect(found).toContainEqual(
      `${FILE}:12:5: "check.0" has no "field". The check key-in-one-partition takes: topic, field (Records on \`topic\` with the same \`field\` value are all in one partition.)`,
    );
    expect(found).toContainEqual(expect.stringContaining(`${FILE}:12:54: "check.0" has an unknown field "feild".`));
    expect(found).toContainEqual(expect.stringContaining(`${FILE}:18:7: "solution.actions.0" has no "broker".`));
  });

  it('refuses pipeline paths outside the example, ids that differ from the file name, and unquoted colons in hints', () => {
    const text = GOOD.replace('pipelines/keys-start.yaml', '../../other/pipeline.yaml')
      .replace('id: keys', 'id: other')
      .replace('Look at the partitions.', 'Look at this: partitions.');
    expect(problems(text)).toEqual([
      `${FILE}:1:5: The id "other" differs from the file name's "keys". Write \`id: keys\`, or rename the file.`,
      `${FILE}:7:13: "start.pipeline" must name the example's pipeline or a file in pipelines/. Write \`../pipeline.yaml\` or \`pipelines/<name>.yaml\` (lowercase letters, digits and -).`,
      `${FILE}:14:5: "hints.0" should be a string. Put the text in quotes: a colon and a space inside unquoted text make YAML read a mapping.`,
    ]);
  });

  it('reports bad YAML and a bad file name without a stack trace', () => {
    expect(problems('id: [oops\n')).toEqual([expect.stringMatching(new RegExp(`^${FILE}:\\d+:\\d+: The file is not valid YAML: .* Fix the YAML syntax`))]);
    expect(problems(GOOD, 'examples/x/exercises/keys.yaml')).toEqual([
      'examples/x/exercises/keys.yaml:1:1: The file name keys.yaml is not <NN>-<slug>.yaml. Name it with two digits, a dash and the id, e.g. 01-keys-and-partitions.yaml.',
    ]);
  });
});
