/** The designer's layout: toolbar, palette, canvas with problems and code below, inspector. */
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { Canvas } from './canvas/Canvas.js';
import { onKeyDown } from './keyboard.js';
import { BottomPanel } from './panels/BottomPanel.js';
import { Dialogs } from './panels/Dialogs.js';
import { Inspector } from './panels/Inspector.js';
import { Palette } from './panels/Palette.js';
import { Presenter } from './presenter/Presenter.js';
import { Toasts } from './panels/Toasts.js';
import { Toolbar } from './panels/Toolbar.js';
import { SimulatorDock } from './simulator/SimulatorDock.js';
import { LiveDock } from './live/LiveDock.js';
import { useResolvedTheme } from './theme.js';
import { ExercisePanel } from './workshop/ExercisePanel.js';

export function App() {
  const theme = useResolvedTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
  return (
    <ReactFlowProvider>
      <div className="pw-app">
        <Toolbar />
        <div className="pw-main">
          <Palette />
          <main className="pw-center">
            <ExercisePanel />
            <Canvas />
            <SimulatorDock />
            <LiveDock />
            <BottomPanel />
          </main>
          <Inspector />
          <Presenter />
        </div>
        <Dialogs />
        <Toasts />
      </div>
    </ReactFlowProvider>
  );
}
