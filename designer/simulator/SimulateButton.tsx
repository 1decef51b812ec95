/** The toolbar's Simulate entry: starts the simulator, or closes it. */
import { memo } from 'react';
import { useDesigner } from '../store/index.js';
import { selectSimOpen } from './selectors.js';

const toggle = () => {
  const s = useDesigner.getState();
  if (s.simOpen) s.closeSimulator();
  else if (s.simulate() && s.bottomOpen) s.toggleBottom();
};

export const SimulateButton = memo(function SimulateButton() {
  const open = useDesigner(selectSimOpen);
  return (
    <button type="button" className={`pw-button${open ? ' is-active' : ''}`} onClick={toggle} aria-pressed={open} title="Run this pipeline in the browser on an in-memory Kafka" data-testid="simulate">
      {open ? '■ Stop simulating' : '▶ Simulate'}
    </button>
  );
});
