/**
 * The Tests tab's part of the store: the pipeline's tests are part of the
 * pipeline (edited through `commit`, so undoable and autosaved like every
 * edit); their last run's outcomes, and the problems of the failing ones,
 * are data the check worker reports.
 */
import type { StateCreator } from 'zustand';
import type { Problem } from '../../codegen/errors.js';
import type { PipelineTest } from '../../codegen/pipeline.js';
import type { Actions, DesignerState } from '../store/types.js';
import { askTests } from './client.js';
import { testProblems, type TestOutcome } from '../../codegen/test-outcomes.js';

/** Most events per source a test recorded from the simulator keeps. */
export const RECORD_MAX = 50;

export interface TestsData {
  /** Outcomes of the last run, by test, for the pipeline's `structure` `testsFor`. */
  testOutcomes: TestOutcome[] | null;
  testsFor: number;
  testsRunning: boolean;
  /** Why the tests did not run (the pipeline has errors, say), or null. */
  testsBlocked: string | null;
  /** Failing tests as problems, shown with validation's in the Problems panel. */
  testProblems: Problem[];
  /** The test whose editor and differences are open, by index. */
  testOpen: number | null;
  recording: boolean;
}

export interface TestsSlice extends TestsData {
  addTest(test?: PipelineTest): number;
  /** `field` names what changed, so typing in one field is one undo step. */
  updateTest(index: number, test: PipelineTest, field?: string): void;
  removeTest(index: number): void;
  setTestOpen(index: number | null): void;
  /** Runs every test in the check worker; outcomes for an older state of the pipeline are dropped. */
  runTests(): Promise<void>;
  /** Asks the simulator for the events it has fed; `finishRecording` makes the test of them. */
  recordFromSimulator(): boolean;
  finishRecording(inputs: Record<string, PipelineTest['input'][string]>, total: number): Promise<void>;
}

export function testsInitial(): TestsData {
  return { testOutcomes: null, testsFor: -1, testsRunning: false, testsBlocked: null, testProblems: [], testOpen: null, recording: false };
}

function freshName(tests: readonly PipelineTest[], base: string): string {
  const names = new Set(tests.map((t) => t.name));
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base} ${i}`)) return `${base} ${i}`;
}

// eslint-disable-next-line max-lines-per-function -- a store slice is one object literal of its actions, each a few lines long
export const createTestsSlice: StateCreator<DesignerState, [], [], Actions<TestsSlice>> = (set, get) => ({
  addTest(test) {
    const p = get().pipeline;
    const sources = p.nodes.filter((n) => n.samples?.length);
    const fresh: PipelineTest = test ?? {
      name: freshName(p.tests, 'new test'),
      // A start the user edits: the sources' sample events in, nothing expected yet.
      input: Object.fromEntries(sources.map((n) => [n.id, n.samples!])),
      expect: {},
    };
    get().commit({ ...p, tests: [...p.tests, fresh] });
    set({ testOpen: p.tests.length });
    return p.tests.length;
  },

  updateTest(index, test, field) {
    const p = get().pipeline;
    if (!p.tests[index]) return;
    get().commit({ ...p, tests: p.tests.map((t, i) => (i === index ? test : t)) }, field ? { key: `test:${index}:${field}` } : {});
  },

  removeTest(index) {
    const p = get().pipeline;
    if (!p.tests[index]) return;
    get().commit({ ...p, tests: p.tests.filter((_, i) => i !== index) });
    const open = get().testOpen;
    set({ testOpen: open === index ? null : open !== null && open > index ? open - 1 : open });
  },

  setTestOpen: (testOpen) => set({ testOpen }),

  async runTests() {
    const s = get();
    const structure = s.structure;
    if (s.problemsFor !== structure) return;
    const errors = s.problems.filter((p) => p.severity === 'error').length;
    if (errors || s.pipeline.tests.length === 0) {
      set({
        testOutcomes: null,
        testsFor: structure,
        testsRunning: false,
        testProblems: [],
        testsBlocked: errors ? `The tests run once the pipeline has no errors (${errors} now; see Problems).` : null,
      });
      return;
    }
    set({ testsRunning: true, testsBlocked: null });
    const reply = await askTests({ type: 'run', pipeline: s.pipeline, files: s.files });
    if (get().structure !== structure) return;
    if (reply.type === 'outcomes') set({ testOutcomes: reply.outcomes, testsFor: structure, testsRunning: false, testProblems: testProblems(reply.outcomes) });
    else if (reply.type === 'error')
      set({ testOutcomes: null, testsFor: structure, testsRunning: false, testProblems: [], testsBlocked: `The tests could not run: ${reply.message}` });
  },

  recordFromSimulator() {
    const s = get();
    if (!s.simOpen || !s.simView) {
      s.toast('Start the simulator first: a recorded test takes the events it has fed.', 'error');
      return false;
    }
    if (s.simStructure !== s.structure) {
      s.toast('The pipeline changed since the simulator started; simulate again, then record.', 'error');
      return false;
    }
    set({ recording: true });
    s.simCommand({ type: 'record', max: RECORD_MAX });
    return true;
  },

  async finishRecording(inputs, total) {
    const s = get();
    set({ recording: false });
    const count = Object.values(inputs).reduce((n, list) => n + list.length, 0);
    if (count === 0) {
      s.toast('The simulator has not fed any events yet: play or step it, then record.', 'error');
      return;
    }
    const name = freshName(s.pipeline.tests, `recorded at tick ${s.simView?.tick ?? 0}`);
    const reply = await askTests({ type: 'record', pipeline: s.pipeline, files: s.files, name, input: inputs });
    if (reply.type === 'error') {
      s.toast(`Could not record the test: ${reply.message}`, 'error');
      return;
    }
    if (reply.type !== 'recorded') return;
    const index = get().addTest(reply.test);
    get().setBottomTab('tests');
    set({ testOpen: index });
    get().toast(count < total ? `Recorded "${name}" from the first ${count} of ${total} events.` : `Recorded "${name}" from ${count} events.`);
  },
});
