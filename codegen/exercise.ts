/**
 * Workshop exercises: `examples/<example>/exercises/<NN>-<slug>.yaml`, one
 * per file. An exercise names a goal in plain words, a starting pipeline and
 * simulator set-up, the actions the learner may take, automatic checks on
 * the simulator run (exercise-checks.ts), hints and a solution. This file
 * reads one and validates it with a JSON Schema (ajv), reporting each problem
 * at its line with how to fix it.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { locate } from './read.js';
import { ACTION_NAMES, ACTION_SCHEMA, CLUSTER_SCHEMA, GROUP_SCHEMA, type ClusterSpec, type ExerciseAction, type ExtraGroupSpec } from './exercise-actions.js';
import { CHECK_KINDS, getCheckKind, type CheckSpec } from './exercise-checks.js';

export const EXERCISE_FILE = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$/;
/** Pipelines an exercise may name: its example's own, or one in `pipelines/` beside it. */
export const PIPELINE_PATH = /^(\.\.\/pipeline\.yaml|pipelines\/[a-z0-9]+(?:-[a-z0-9]+)*\.yaml)$/;
export const ALLOWED = ['edit-pipeline', ...ACTION_NAMES] as const;

export interface ExerciseSimulator {
  seed?: number;
  replicas?: number;
  rate?: number;
  batchSize?: number;
  groups?: ExtraGroupSpec[];
  cluster?: ClusterSpec;
}

export interface Exercise {
  id: string;
  title: string;
  /** The concept it teaches, in a few words (the workshop page lists it). */
  concept: string;
  /** Its place in the workshop, over all examples. */
  order: number;
  goal: string;
  start: { pipeline: string; simulator?: ExerciseSimulator; script?: ExerciseAction[] };
  /** Simulated seconds the check needs the run to have lasted. */
  run: { seconds: number };
  allowed: (typeof ALLOWED)[number][];
  check: CheckSpec[];
  hints: string[];
  solution: { pipeline?: string; actions?: ExerciseAction[]; explain: string };
}

export interface ExerciseProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  hint: string;
}

export const formatExerciseProblem = (p: ExerciseProblem) => `${p.file}:${p.line}:${p.column}: ${p.message} ${p.hint}`;

const text = { type: 'string', minLength: 1 };
const actions = { type: 'array', items: ACTION_SCHEMA };
const pipelinePath = { type: 'string', pattern: PIPELINE_PATH.source };

export const EXERCISE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'concept', 'order', 'goal', 'start', 'run', 'allowed', 'check', 'hints', 'solution'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
    title: text,
    concept: text,
    order: { type: 'integer', minimum: 1 },
    goal: text,
    start: {
      type: 'object',
      additionalProperties: false,
      required: ['pipeline'],
      properties: {
        pipeline: pipelinePath,
        simulator: {
          type: 'object',
          additionalProperties: false,
          properties: {
            seed: { type: 'integer', minimum: 0 },
            replicas: { type: 'integer', minimum: 0, maximum: 12 },
            rate: { type: 'integer', minimum: 0, maximum: 1000 },
            batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
            groups: { type: 'array', items: GROUP_SCHEMA },
            cluster: CLUSTER_SCHEMA,
          },
        },
        script: actions,
      },
    },
    run: { type: 'object', additionalProperties: false, required: ['seconds'], properties: { seconds: { type: 'number', exclusiveMinimum: 0, maximum: 600 } } },
    allowed: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ALLOWED } },
    check: { type: 'array', minItems: 1, items: { type: 'object', required: ['kind'], properties: { kind: { enum: CHECK_KINDS.map((k) => k.kind) } } } },
    hints: { type: 'array', minItems: 1, items: text },
    solution: {
      type: 'object',
      additionalProperties: false,
      required: ['explain'],
      anyOf: [{ required: ['pipeline'] }, { required: ['actions'] }],
      properties: { pipeline: pipelinePath, actions, explain: text },
    },
  },
};

let ajv: Ajv | undefined;
const validator = () => (ajv ??= new Ajv({ allErrors: true, strict: false })).compile(EXERCISE_SCHEMA);
let validateExercise: ReturnType<typeof validator> | undefined;
const paramValidators = new Map<string, ReturnType<typeof validator>>();

/** An ajv error in plain words: what is wrong, and how to fix it. */
function explain(e: ErrorObject): { path: (string | number)[]; message: string; hint: string } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const where = path.length ? `"${path.join('.')}"` : 'The exercise';
  const raw = e.params as Record<string, unknown>;
  const p = {
    missingProperty: String(raw.missingProperty),
    additionalProperty: String(raw.additionalProperty),
    type: String(raw.type),
    allowedValues: raw.allowedValues,
  };
  switch (e.keyword) {
    case 'required':
      return {
        path,
        message: `${where} has no "${p.missingProperty}".`,
        hint: `Add \`${p.missingProperty}:\` (see the exercise format in README.md, "Workshops").`,
      };
    case 'additionalProperties':
      return {
        path: [...path, String(p.additionalProperty)],
        message: `${where} has an unknown field "${p.additionalProperty}".`,
        hint: 'Remove it, or check its spelling against the exercise format.',
      };
    case 'enum':
      return { path, message: `${where} is not one of the accepted values.`, hint: `Use one of: ${(p.allowedValues as unknown[]).join(', ')}.` };
    case 'pattern':
      return path.at(-1) === 'pipeline'
        ? {
            path,
            message: `${where} must name the example's pipeline or a file in pipelines/.`,
            hint: 'Write `../pipeline.yaml` or `pipelines/<name>.yaml` (lowercase letters, digits and -).',
          }
        : { path, message: `${where} is not a valid name.`, hint: 'Use lowercase letters, digits and -.' };
    case 'type':
      return {
        path,
        message: `${where} should be ${p.type === 'array' ? 'a list' : p.type === 'object' ? 'a mapping' : `a ${p.type}`}.`,
        hint: p.type === 'string' ? 'Put the text in quotes: a colon and a space inside unquoted text make YAML read a mapping.' : 'Fix its value.',
      };
    case 'anyOf':
      return { path, message: `${where} needs a pipeline, actions, or both.`, hint: 'Add `pipeline: pipelines/<name>.yaml` and/or `actions:`.' };
    default:
      return { path, message: `${where} ${e.message ?? 'is not valid'}.`, hint: 'Fix its value.' };
  }
}

/** Read an exercise file; `file` is its path inside the repository (for messages and the id). */
export function readExercise(source: string, file: string): { exercise: Exercise | null; problems: ExerciseProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
  const at = (path: (string | number)[], message: string, hint: string): ExerciseProblem => ({ file, ...locate(doc, lc, path), message, hint });
  if (doc.errors.length) {
    const pos = lc.linePos(doc.errors[0].pos[0]);
    return {
      exercise: null,
      problems: [
        {
          file,
          line: pos.line,
          column: pos.col,
          message: `The file is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`,
          hint: 'Fix the YAML syntax (indentation, quotes, colons).',
        },
      ],
    };
  }
  const raw = doc.toJS() as unknown;
  const problems: ExerciseProblem[] = [];
  validateExercise ??= validator();
  if (!validateExercise(raw)) {
    // The `if/then` of actions repeats the error of its branch; keep the one that says what is wrong.
    for (const e of validateExercise.errors ?? []) {
      if (e.keyword === 'if') continue;
      const x = explain(e);
      problems.push(at(x.path, x.message, x.hint));
    }
  }
  const name = file.split('/').pop() ?? file;
  const m = EXERCISE_FILE.exec(name);
  const ex = raw as Partial<Exercise>;
  if (!m)
    problems.push(at([], `The file name ${name} is not <NN>-<slug>.yaml.`, 'Name it with two digits, a dash and the id, e.g. 01-keys-and-partitions.yaml.'));
  else if (typeof ex?.id === 'string' && ex.id !== m[2])
    problems.push(at(['id'], `The id "${ex.id}" differs from the file name's "${m[2]}".`, `Write \`id: ${m[2]}\`, or rename the file.`));
  (Array.isArray(ex?.check) ? ex.check : []).forEach((c, i) => problems.push(...checkParams(c, i, at)));
  if (problems.length) return { exercise: null, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { exercise: raw as Exercise, problems: [] };
}

function checkParams(c: CheckSpec, i: number, at: (path: (string | number)[], m: string, h: string) => ExerciseProblem): ExerciseProblem[] {
  const kind = c && typeof c === 'object' ? getCheckKind(String(c.kind)) : undefined;
  if (!kind) return [];
  let v = paramValidators.get(kind.kind);
  if (!v) {
    v = (ajv ??= new Ajv({ allErrors: true, strict: false })).compile({
      ...kind.params,
      properties: { kind: {}, ...kind.params.properties },
      additionalProperties: false,
    });
    paramValidators.set(kind.kind, v);
  }
  if (v(c)) return [];
  return (v.errors ?? []).map((e) => {
    const x = explain({ ...e, instancePath: `/check/${i}${e.instancePath}` });
    return at(
      x.path,
      x.message,
      e.keyword === 'additionalProperties' || e.keyword === 'required'
        ? `The check ${kind.kind} takes: ${Object.keys(kind.params.properties).join(', ') || 'no parameters'} (${kind.summary})`
        : x.hint,
    );
  });
}
