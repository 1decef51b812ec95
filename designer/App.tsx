/**
 * The designer's layout: toolbar, palette, canvas with problems and code
 * below, inspector. `Designer` is one designer on its store (given, or its
 * own); `App` is the page's one designer.
 */
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { Canvas } from './canvas/Canvas.js';
import { keyHandler } from './keyboard.js';
import { DesignerProvider, useDesignerStore } from './store/context.js';
import type { DesignerStore } from './store/index.js';
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

/** The page's designer, on the store main.tsx made and restored. */
export function App({ store }: { store: DesignerStore }) {
  return <Designer store={store} />;
}

/** One designer: its store's provider, React Flow's, and the layout. */
export function Designer({ store }: { store?: DesignerStore }) {
  return (
    <DesignerProvider store={store}>
      <Layout />
    </DesignerProvider>
  );
}

function Layout() {
  const store = useDesignerStore();
  const theme = useResolvedTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    const onKeyDown = keyHandler(store);
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [store]);
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
