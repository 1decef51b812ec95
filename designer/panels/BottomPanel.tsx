/** Problems, the pipeline's tests and the code preview share the strip under the canvas. */
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectBottom, selectCounts, selectIsEmpty } from '../store/selectors.js';
import { CodePreview } from './CodePreview.js';
import { ProblemsPanel } from './ProblemsPanel.js';
import { Splitter } from './Splitter.js';
import { TestsPanel } from './TestsPanel.js';
import type { DesignerState } from '../store/types.js';

/** Tests that failed in the last run of the pipeline as it is now. */
const selectFailedTests = (s: DesignerState) => (s.testsFor === s.structure && s.testOutcomes ? s.testOutcomes.filter((o) => !o.passed).length : 0);

const selectBottomHeight = (s: DesignerState) => s.panels.bottom;

export const BottomPanel = memo(function BottomPanel() {
  const state = useDesignerStore().getState;
  const { tab, open } = useDesigner(useShallow(selectBottom));
  const { errors, warnings } = useDesigner(useShallow(selectCounts));
  const failedTests = useDesigner(selectFailedTests);
  const height = useDesigner(selectBottomHeight);
  const empty = useDesigner(selectIsEmpty);
  return (
    <section className={`pw-bottom${open ? ' is-open' : ''}`} aria-label="Problems and code" data-testid="bottom-panel" style={open ? { height } : undefined}>
      {open && <Splitter name="bottom" edge="top" label="Resize the problems and code panel" />}
      <div className="pw-tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'problems'}
          className="pw-tab"
          onClick={() => state().setBottomTab('problems')}
          data-testid="tab-problems"
        >
          Problems
          {errors > 0 && <span className="pw-badge pw-error">{errors}</span>}
          {warnings > 0 && <span className="pw-badge pw-warning">{warnings}</span>}
          {errors + warnings === 0 && !empty && <span className="pw-badge pw-ok">0</span>}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'tests'}
          className="pw-tab"
          onClick={() => state().setBottomTab('tests')}
          data-testid="tab-tests"
        >
          Tests
          {failedTests > 0 && <span className="pw-badge pw-error">{failedTests}</span>}
        </button>
        <button type="button" role="tab" aria-selected={tab === 'code'} className="pw-tab" onClick={() => state().setBottomTab('code')} data-testid="tab-code">
          Code
        </button>
        <div className="pw-toolbar-spacer" />
        <button type="button" className="pw-button is-quiet" onClick={() => state().toggleBottom()} aria-expanded={open} data-testid="bottom-toggle">
          {open ? '▾ Hide' : '▴ Show'}
        </button>
      </div>
      {open && <div className="pw-bottom-body">{tab === 'problems' ? <ProblemsPanel /> : tab === 'tests' ? <TestsPanel /> : <CodePreview />}</div>}
    </section>
  );
});
