/**
 * Every problem of the pipeline, live, as `pipewright validate` reports them
 * (the check worker runs the CLI's check). Clicking one selects and shows its
 * node. While the check of the latest edit runs, the panel says so rather
 * than show an earlier state's verdict as if it were current.
 */
import { memo } from 'react';
import { focusNode } from '../actions.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';
import { selectChecking, selectIsEmpty, selectProblems } from '../store/selectors.js';

function pick(store: DesignerStore, e: { currentTarget: HTMLButtonElement }) {
  const test = e.currentTarget.dataset.test;
  // A failing test: open it in the Tests tab, where its differences are.
  if (test !== undefined) {
    const s = store.getState();
    s.setTestOpen(Number(test));
    s.setBottomTab('tests');
    return;
  }
  const id = e.currentTarget.dataset.node;
  if (id) focusNode(store, id);
}

export const ProblemsPanel = memo(function ProblemsPanel() {
  const store = useDesignerStore();
  const onPick = (e: { currentTarget: HTMLButtonElement }) => pick(store, e);
  const problems = useDesigner(selectProblems);
  const empty = useDesigner(selectIsEmpty);
  const checking = useDesigner(selectChecking);
  if (empty) {
    return (
      <div className="pw-problems-empty" data-testid="problems-nothing">
        Nothing to check yet: the pipeline has no nodes, so there is nothing to export. Drag a source from the palette, or open an example.
      </div>
    );
  }
  if (problems.length === 0 && checking) {
    return (
      <div className="pw-problems-empty" data-testid="problems-checking">
        Checking…
      </div>
    );
  }
  if (problems.length === 0) {
    return (
      <div className="pw-problems-empty" data-testid="problems-empty">
        <span className="pw-ok-dot" aria-hidden /> No problems. The pipeline is ready to export.
      </div>
    );
  }
  const sorted = [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return (
    <ul className={`pw-problems${checking ? ' is-checking' : ''}`} data-testid="problems-list" aria-busy={checking}>
      {sorted.map((p, i) => (
        <li key={i}>
          <button
            type="button"
            className={`pw-problem pw-${p.severity}`}
            data-node={p.nodeId}
            data-test={p.path[0] === 'tests' ? p.path[1] : undefined}
            onClick={onPick}
            disabled={!p.nodeId && p.path[0] !== 'tests'}
          >
            <span className="pw-problem-sev">{p.severity === 'error' ? 'Error' : 'Warning'}</span>
            <code className="pw-problem-code">{p.code}</code>
            {p.nodeId && <code className="pw-problem-node">{p.nodeId}</code>}
            <span className="pw-problem-msg">{p.message}</span>
            <span className="pw-problem-hint">{p.hint}</span>
          </button>
        </li>
      ))}
    </ul>
  );
});
