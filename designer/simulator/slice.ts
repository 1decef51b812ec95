/**
 * The simulator slice: whether the dock is open, the latest view the worker
 * posted, and the commands. The worker itself lives in client.ts, outside
 * the store; the store only holds what the panels render.
 */
import type { StateCreator } from 'zustand';
import { currentProblems } from '../analysis.js';
import { requestPlan } from '../check/client.js';
import type { Actions, DesignerState } from '../store/types.js';
import { simulatorThread } from './client.js';
import { DEFAULT_SETTINGS } from './session.js';
import type { SimulatorData, SimulatorSlice } from './types.js';
import { errorText } from '../../runtime/errors.js';

export function simulatorInitial(): SimulatorData {
  return {
    simOpen: false,
    simView: null,
    simStatus: null,
    simError: null,
    simSettings: { ...DEFAULT_SETTINGS, speed: 10 },
    simStructure: -1,
    simTab: 'group',
    tourStep: 0,
    simScript: [],
  };
}

export const createSimulatorSlice: StateCreator<DesignerState, [], [], Actions<SimulatorSlice>> = (set, get, store) => {
  // This designer's own simulator worker.
  const thread = simulatorThread();
  return {
    simulate() {
      const s = get();
      // The problems are the whole check's (type check included): a typo in an expression would
      // dead-letter every event, so it is refused here as export would be.
      const refuse = (problems: { severity: string; message: string }[]) => {
        const error = problems.find((p) => p.severity === 'error');
        if (!error) return false;
        get().toast(`Fix the problems first: ${error.message}`, 'error');
        get().setBottomTab('problems');
        return true;
      };
      if (s.problemsFor === s.structure && refuse(s.problems)) return false;
      const structure = s.structure;
      const pipeline = s.pipeline;
      set({ simOpen: true, simError: null, simView: null, simStatus: null, simStructure: structure, tourStep: 0 });
      const stillWanted = () => get().simOpen && get().simStructure === structure;
      void (async () => {
        // The check may still be running for the latest edit, and the plan is made in the check worker.
        const problems = await currentProblems(store);
        if (!stillWanted()) return;
        if (get().structure === structure && refuse(problems)) return get().closeSimulator();
        let plan;
        try {
          plan = await requestPlan(pipeline, get().files);
          if (plan.feeds.length === 0) throw new Error('the pipeline has no source that reads a topic, so there is nothing to simulate');
          const empty = plan.feeds.find((f) => f.events.length === 0 && !f.generator);
          if (empty) throw new Error(`source "${empty.node}" has no sample events to replay; add some in the inspector`);
        } catch (e) {
          if (!stillWanted()) return;
          get().toast(`Cannot simulate: ${errorText(e)}`, 'error');
          return get().closeSimulator();
        }
        if (!stillWanted()) return;
        const { speed, ...settings } = get().simSettings;
        // Groups added earlier keep reading, as long as their topic is still in the pipeline.
        const topics = new Set(plan.topics.map((t) => t.name));
        settings.groups = settings.groups?.filter((g) => topics.has(g.topic));
        thread.send({ type: 'load', plan, settings, files: get().files, speed, script: get().simScript }, (r) => get().setSimReport(r));
        // Paused on the first tick: the user sees where events start, then presses Play (or steps).
        thread.send({ type: 'step' });
      })();
      return true;
    },
    closeSimulator() {
      thread.stop();
      set({ simOpen: false, simView: null, simStatus: null, simError: null });
    },
    simCommand(command) {
      if (get().simError) set({ simError: null });
      if (command.type === 'speed') set({ simSettings: { ...get().simSettings, speed: command.speed } });
      if (command.type === 'rate') set({ simSettings: { ...get().simSettings, rate: command.rate } });
      if (command.type === 'set-cluster') set({ simSettings: { ...get().simSettings, cluster: command.cluster ?? undefined } });
      if (command.type === 'reset' && command.seed !== undefined) set({ simSettings: { ...get().simSettings, seed: command.seed } });
      const groups = get().simSettings.groups ?? [];
      if (command.type === 'add-group') set({ simSettings: { ...get().simSettings, groups: [...groups, command.spec] } });
      if (command.type === 'remove-group') set({ simSettings: { ...get().simSettings, groups: groups.filter((g) => g.name !== command.name) } });
      thread.send(command);
    },
    setSimReport(report) {
      if (!get().simOpen) return;
      if (report.type === 'recording') {
        void get().finishRecording(report.inputs, report.total);
        return;
      }
      if (report.type === 'checked') {
        const results = report.results;
        get().setExerciseCheck({ state: 'done', pass: results.every((r) => r.pass), results });
        return;
      }
      if (report.type === 'error') {
        set({ simError: report.message, simStatus: get().simStatus && { ...get().simStatus!, running: false } });
        if (get().exerciseCheck?.state === 'checking') get().setExerciseCheck({ state: 'error', message: report.message });
      } else set({ simView: report.view, simStatus: report.status });
    },
    setSimSettings: (settings) => set({ simSettings: { ...get().simSettings, ...settings } }),
    setSimScript: (simScript) => set({ simScript }),
    setSimTab: (simTab) => set({ simTab }),
    setTourStep: (tourStep) => set({ tourStep }),
  };
};
