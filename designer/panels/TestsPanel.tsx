/**
 * The pipeline's `tests:`, on screen: each test's input events per source,
 * expected outputs per sink and expected dead letters (or that the test
 * ignores them), edited as JSON (every
 * change is an undoable edit of the pipeline); pass or fail per test from
 * the last run in the check worker, and what differs, key by key.
 */
import { memo, useState } from 'react';
import { useDraft } from './use-draft.js';
import { IGNORE_DEAD_LETTERS, type PipelineNode, type PipelineTest, type SampleEvent } from '../../codegen/pipeline.js';
import { getKind } from '../../runtime/kinds/registry.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerState } from '../store/types.js';
import type { SinkDifference, TestOutcome } from '../../codegen/test-outcomes.js';
import { parseSamples } from './inspector-parse.js';

const selectTests = (s: DesignerState) => s.pipeline.tests;
const selectNodes = (s: DesignerState) => s.pipeline.nodes;
const selectOutcomes = (s: DesignerState) => (s.testsFor === s.structure ? s.testOutcomes : null);
const selectRunning = (s: DesignerState) => s.testsRunning || s.testsFor !== s.structure;
const selectBlocked = (s: DesignerState) => s.testsBlocked;
const selectOpen = (s: DesignerState) => s.testOpen;
const selectCanRecord = (s: DesignerState) => s.simOpen && s.simView !== null && !s.recording;

const byCategory = (nodes: readonly PipelineNode[], category: string) => nodes.filter((n) => getKind(n.kind)?.category === category);

function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? String(v);
}

/** A list of events as JSON; a draft that does not parse stays a draft, with the reason shown. */
function EventsField({
  id,
  label,
  events,
  onChange,
}: {
  id: string;
  label: string;
  events: SampleEvent[] | undefined;
  onChange: (events: SampleEvent[] | undefined) => void;
}) {
  const [error, setError] = useState<string | undefined>();
  const [text, setText] = useDraft(
    events,
    (evs) => (evs?.length ? pretty(evs) : ''),
    (draft, evs) => JSON.stringify(parseSamples(draft).samples ?? []) === JSON.stringify(evs ?? []),
    () => setError(undefined),
  );
  return (
    <div className="pw-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        data-testid={id}
        className={`pw-input is-mono pw-samples${error ? ' is-invalid' : ''}`}
        value={text}
        rows={Math.min(10, Math.max(3, text.split('\n').length))}
        spellCheck={false}
        placeholder="[] (none)"
        onChange={(e) => {
          setText(e.target.value);
          const r = parseSamples(e.target.value);
          setError(r.error);
          if (!r.error) onChange(r.samples?.length ? r.samples : undefined);
        }}
      />
      {error && (
        <p className="pw-msg pw-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function withEvents(map: Record<string, SampleEvent[]>, id: string, events: SampleEvent[] | undefined): Record<string, SampleEvent[]> {
  const next = { ...map };
  if (events) next[id] = events;
  else delete next[id];
  return next;
}

/** The test with `id` (a sink or dead-letters) ignored or checked again; what it expected of it goes, as a test cannot do both. */
export function withIgnored(test: PipelineTest, id: string, ignored: boolean): PipelineTest {
  const { ignore = [], deadLetters, ...rest } = test;
  const nextIgnore = ignored ? [...ignore.filter((x) => x !== id), id] : ignore.filter((x) => x !== id);
  const next: PipelineTest = { ...rest, expect: ignored ? withEvents(test.expect, id, undefined) : test.expect };
  if (deadLetters !== undefined && !(ignored && id === IGNORE_DEAD_LETTERS)) next.deadLetters = deadLetters;
  if (nextIgnore.length) next.ignore = nextIgnore;
  return next;
}

function IgnoreBox({ index, id, test, onChange }: { index: number; id: string; test: PipelineTest; onChange: (next: PipelineTest) => void }) {
  const boxId = `pw-test-${index}-ignore-${id}`;
  return (
    <label htmlFor={boxId} className="pw-muted">
      <input
        id={boxId}
        data-testid={boxId}
        type="checkbox"
        checked={test.ignore?.includes(id) ?? false}
        onChange={(e) => onChange(withIgnored(test, id, e.target.checked))}
      />{' '}
      not checked by this test
    </label>
  );
}

function TestEditor({ index, test, nodes }: { index: number; test: PipelineTest; nodes: readonly PipelineNode[] }) {
  const state = useDesignerStore().getState;
  const update = (next: PipelineTest, field: string) => state().updateTest(index, next, field);
  const sources = byCategory(nodes, 'source');
  const sinks = byCategory(nodes, 'sink');
  return (
    <div className="pw-test-editor" data-testid={`test-editor-${index}`}>
      <div className="pw-field">
        <label htmlFor={`pw-test-${index}-name`}>Name</label>
        <input
          id={`pw-test-${index}-name`}
          className="pw-input"
          value={test.name}
          spellCheck={false}
          onChange={(e) => update({ ...test, name: e.target.value }, 'name')}
        />
      </div>
      <div className="pw-test-columns">
        <div>
          <div className="pw-panel-title">Input events, per source</div>
          {sources.map((n) => (
            <EventsField
              key={n.id}
              id={`pw-test-${index}-input-${n.id}`}
              label={n.id}
              events={test.input[n.id]}
              onChange={(events) => update({ ...test, input: withEvents(test.input, n.id, events) }, `input:${n.id}`)}
            />
          ))}
        </div>
        <div>
          <div className="pw-panel-title">Expected outputs, per sink (none if empty)</div>
          {sinks.map((n) => (
            <div key={n.id}>
              {test.ignore?.includes(n.id) ? (
                <div className="pw-field">{n.id}</div>
              ) : (
                <EventsField
                  id={`pw-test-${index}-expect-${n.id}`}
                  label={n.id}
                  events={test.expect[n.id]}
                  onChange={(events) => update({ ...test, expect: withEvents(test.expect, n.id, events) }, `expect:${n.id}`)}
                />
              )}
              <IgnoreBox index={index} id={n.id} test={test} onChange={(next) => update(next, `ignore:${n.id}`)} />
            </div>
          ))}
          <div className="pw-field">
            <label htmlFor={`pw-test-${index}-dead`}>Expected dead letters</label>
            <input
              disabled={test.ignore?.includes(IGNORE_DEAD_LETTERS)}
              id={`pw-test-${index}-dead`}
              className="pw-input"
              type="number"
              min={0}
              step={1}
              value={test.deadLetters ?? 0}
              onChange={(e) => {
                const n = Math.max(0, Math.floor(Number(e.target.value) || 0));
                const { deadLetters: _, ...rest } = test;
                update(n === 0 ? rest : { ...rest, deadLetters: n }, 'deadLetters');
              }}
            />
            <IgnoreBox index={index} id={IGNORE_DEAD_LETTERS} test={test} onChange={(next) => update(next, 'ignore:dead-letters')} />
          </div>
        </div>
      </div>
    </div>
  );
}

function Values({ values, other }: { values: unknown; other: unknown }) {
  if (!Array.isArray(values)) return <code>{String(values)}</code>;
  if (values.length === 0) return <span className="pw-muted">nothing</span>;
  const others = Array.isArray(other) ? other : [];
  return (
    <ol className="pw-diff-values">
      {values.map((v, i) => (
        <li key={i} className={JSON.stringify(v) === JSON.stringify(others[i]) ? '' : 'is-different'}>
          <pre>{pretty(v)}</pre>
        </li>
      ))}
    </ol>
  );
}

function Differences({ outcome }: { outcome: TestOutcome }) {
  if (outcome.error) {
    return (
      <p className="pw-msg pw-error" role="alert">
        Could not run: {outcome.error}
      </p>
    );
  }
  return (
    <table className="pw-diff" data-testid={`test-diff-${outcome.index}`}>
      <thead>
        <tr>
          <th>Sink</th>
          <th>Key</th>
          <th>Expected</th>
          <th>Actual</th>
        </tr>
      </thead>
      <tbody>
        {outcome.differences.map((d: SinkDifference, i) => (
          <tr key={i}>
            <td>
              <code>{d.sink ?? 'dead letters'}</code>
            </td>
            <td>{d.key === undefined ? '' : <code>{d.key}</code>}</td>
            <td>
              <Values values={d.expected} other={d.actual} />
            </td>
            <td>
              <Values values={d.actual} other={d.expected} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const TestsPanel = memo(function TestsPanel() {
  const state = useDesignerStore().getState;
  const tests = useDesigner(selectTests);
  const nodes = useDesigner(selectNodes);
  const outcomes = useDesigner(selectOutcomes);
  const running = useDesigner(selectRunning);
  const blocked = useDesigner(selectBlocked);
  const open = useDesigner(selectOpen);
  const canRecord = useDesigner(selectCanRecord);
  const passed = outcomes?.filter((o) => o.passed).length ?? 0;
  const failed = outcomes ? outcomes.length - passed : 0;
  return (
    <div className="pw-tests" data-testid="tests-panel">
      <div className="pw-tests-bar">
        <button type="button" className="pw-button" onClick={() => state().addTest()} data-testid="tests-add">
          Add test
        </button>
        <button
          type="button"
          className="pw-button"
          onClick={() => state().recordFromSimulator()}
          disabled={!canRecord}
          title={canRecord ? 'The events the simulator has fed become a test, expecting what the pipeline makes of them now' : 'Start the simulator first'}
          data-testid="tests-record"
        >
          Record a test from the simulator
        </button>
        <button type="button" className="pw-button" onClick={() => void state().runTests()} disabled={tests.length === 0} data-testid="tests-run">
          Run tests
        </button>
        <span className="pw-tests-summary" data-testid="tests-summary" role="status">
          {blocked ?? (tests.length === 0 ? 'No tests yet.' : running ? 'Running…' : outcomes ? `${passed} passed, ${failed} failed` : '')}
        </span>
      </div>
      {tests.length === 0 ? (
        <p className="pw-muted pw-tests-empty">
          A test feeds input events to the sources and says what every sink must produce and how many events may be dead-lettered. Add one, or record one from
          the simulator; the generated repository's <code>npm test</code> runs the same tests.
        </p>
      ) : (
        <ul className="pw-test-list">
          {tests.map((t, i) => {
            const o = outcomes?.[i];
            const status = o ? (o.passed ? 'passed' : 'failed') : 'not-run';
            const isOpen = open === i || (open === null && o !== undefined && !o.passed && outcomes!.findIndex((x) => !x.passed) === i);
            return (
              <li key={i} className={`pw-test is-${status}`} data-testid={`test-row-${i}`} data-status={status}>
                <div className="pw-test-head">
                  <span className={`pw-test-status is-${status}`} aria-label={status.replace('-', ' ')}>
                    {status === 'passed' ? '✓' : status === 'failed' ? '✗' : '·'}
                  </span>
                  <button type="button" className="pw-test-name" onClick={() => state().setTestOpen(isOpen ? -1 : i)} aria-expanded={isOpen}>
                    {t.name}
                  </button>
                  <button type="button" className="pw-button is-quiet is-danger" onClick={() => state().removeTest(i)} data-testid={`test-delete-${i}`}>
                    Delete
                  </button>
                </div>
                {isOpen && (
                  <>
                    {o && !o.passed && <Differences outcome={o} />}
                    <TestEditor index={i} test={t} nodes={nodes} />
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
});
