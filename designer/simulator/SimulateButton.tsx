/** The toolbar's Simulate entry: starts the simulator, or closes it. */
import { memo } from 'react';
import { fitView } from '../actions.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';
import { selectSimOpen } from './selectors.js';

function toggle(store: DesignerStore): void {
  const s = store.getState();
  if (s.simOpen) s.closeSimulator();
  else if (s.simulate() && s.bottomOpen) s.toggleBottom();
  // The dock takes room from the canvas: fit the pipeline into what is left, once it is laid out.
  requestAnimationFrame(() => requestAnimationFrame(() => fitView(store)));
}

export const SimulateButton = memo(function SimulateButton() {
  const store = useDesignerStore();
  const open = useDesigner(selectSimOpen);
  return (
    <button
      type="button"
      className={`pw-button${open ? ' is-active' : ''}`}
      onClick={() => toggle(store)}
      aria-pressed={open}
      title="Run this pipeline in the browser on an in-memory Kafka"
      data-testid="simulate"
    >
      {open ? '■ Stop simulating' : '▶ Simulate'}
    </button>
  );
});
