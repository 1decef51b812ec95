/** The toolbar's Simulate entry: starts the simulator, or closes it. */
import { memo } from 'react';
import { fitView } from '../actions.js';
import { useDesigner } from '../store/index.js';
import { selectSimOpen } from './selectors.js';

const toggle = () => {
  const s = useDesigner.getState();
  if (s.simOpen) s.closeSimulator();
  else if (s.simulate() && s.bottomOpen) s.toggleBottom();
  // The dock takes room from the canvas: fit the pipeline into what is left, once it is laid out.
  requestAnimationFrame(() => requestAnimationFrame(() => fitView()));
};

export const SimulateButton = memo(function SimulateButton() {
  const open = useDesigner(selectSimOpen);
  return (
    <button type="button" className={`pw-button${open ? ' is-active' : ''}`} onClick={toggle} aria-pressed={open} title="Run this pipeline in the browser on an in-memory Kafka" data-testid="simulate">
      {open ? '■ Stop simulating' : '▶ Simulate'}
    </button>
  );
});
