/** The top bar: file actions, history, layout and theme. */
import { memo, useRef } from 'react';
import { autoLayout, copyShareLink, exportYaml, exportZip, fitView, openExampleDialog, openYamlFile } from '../actions.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';
import { selectCanRedo, selectCanUndo, selectTheme } from '../store/selectors.js';
import { SimulateButton } from '../simulator/SimulateButton.js';
import { PresentButton } from '../presenter/Presenter.js';
import { isSystemDark, nextTheme, THEME_KEY } from '../theme.js';

/** The next theme, remembered for the next visit. */
function cycleTheme(store: DesignerStore): void {
  const t = nextTheme(store.getState().theme, isSystemDark());
  store.getState().setTheme(t);
  try {
    localStorage.setItem(THEME_KEY, t);
  } catch {
    // Private mode: the choice lasts this visit.
  }
}
const THEME_LABEL = { system: 'System', light: 'Light', dark: 'Dark' } as const;

export const Toolbar = memo(function Toolbar() {
  const store = useDesignerStore();
  const canUndo = useDesigner(selectCanUndo);
  const canRedo = useDesigner(selectCanRedo);
  const theme = useDesigner(selectTheme);
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <header className="pw-toolbar">
      <div className="pw-brand">
        <span className="pw-logo" aria-hidden>
          ⟿
        </span>
        Pipewright
      </div>
      <div className="pw-toolbar-group" role="group" aria-label="History">
        <button type="button" className="pw-button" onClick={() => store.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" className="pw-button" onClick={() => store.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
      </div>
      <div className="pw-toolbar-group" role="group" aria-label="View">
        <button type="button" className="pw-button" onClick={() => void autoLayout(store)} title="Lay out left to right">
          Auto-layout
        </button>
        <button type="button" className="pw-button" onClick={() => fitView(store)} title="Fit the pipeline in view">
          Fit view
        </button>
      </div>
      <SimulateButton />
      <PresentButton />
      <div className="pw-toolbar-spacer" />
      <div className="pw-toolbar-group" role="group" aria-label="File">
        <button type="button" className="pw-button" onClick={() => openExampleDialog(store)}>
          Examples
        </button>
        <button type="button" className="pw-button" onClick={() => fileInput.current?.click()}>
          Open YAML
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".yaml,.yml,application/yaml,text/yaml"
          hidden
          data-testid="open-yaml-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void openYamlFile(store, f);
          }}
        />
        <button type="button" className="pw-button" onClick={() => exportYaml(store)}>
          Export YAML
        </button>
        <button type="button" className="pw-button" onClick={() => void copyShareLink(store)} title="Copy a link that carries this pipeline">
          Share link
        </button>
        <button type="button" className="pw-button is-primary" onClick={() => void exportZip(store)} title="Download the generated repository">
          Export zip
        </button>
      </div>
      <button
        type="button"
        className="pw-button pw-theme"
        onClick={() => cycleTheme(store)}
        aria-label={`Theme: ${THEME_LABEL[theme]}. Click for the next theme.`}
        title="Theme: click for the next one (system, light, dark)"
        data-testid="theme"
        data-theme-choice={theme}
      >
        <span aria-hidden>{theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}</span> {THEME_LABEL[theme]}
      </button>
    </header>
  );
});
