/** The examples gallery, and the report of a file that could not be opened. */
import { memo, useCallback, useEffect, useMemo, useRef } from 'react';
import { formatProblem } from '../../codegen/errors.js';
import { readPipelineText } from '../../codegen/read.js';
import { copyShareLink, exportZip, openExample, showProblems } from '../actions.js';
import { MOD, SHORTCUTS } from '../keyboard.js';
import type { Wire } from '../graph/ops.js';
import { EXAMPLES } from '../examples.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectDialog } from '../store/selectors.js';
import { WORKSHOP, WORKSHOP_HASH } from '../workshop/catalog.js';
import { WorkshopList } from '../workshop/WorkshopPage.js';

/** Close this designer's dialog: one function per designer, so a Modal's key listener stays put. */
function useClose(): () => void {
  const store = useDesignerStore();
  return useCallback(() => store.getState().setDialog(null), [store]);
}

/** A dialog box; Escape, the ✕ and a click outside call `onClose` (by default: close the store's dialog). */
export function Modal({ title, children, testId, onClose: given }: { title: string; children: React.ReactNode; testId: string; onClose?: () => void }) {
  const close = useClose();
  const onClose = given ?? close;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('button, [href], input')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="pw-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="pw-modal" role="dialog" aria-modal="true" aria-label={title} ref={box} data-testid={testId}>
        <div className="pw-modal-head">
          <h2>{title}</h2>
          <button type="button" className="pw-button is-quiet" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

function Gallery() {
  const store = useDesignerStore();
  const items = useMemo(
    () =>
      EXAMPLES.map((ex) => {
        const { pipeline } = readPipelineText(ex.text);
        return {
          ex,
          name: pipeline?.name ?? ex.slug,
          description: pipeline?.description ?? '',
          nodes: pipeline?.nodes.length ?? 0,
          kinds: [...new Set(pipeline?.nodes.map((n) => n.kind))],
        };
      }),
    [],
  );
  return (
    <Modal title="Examples" testId="examples-dialog">
      {items.length === 0 && <p className="pw-muted">No examples yet.</p>}
      <div className="pw-gallery">
        {items.map(({ ex, name, description, nodes, kinds }) => (
          <button key={ex.slug} type="button" className="pw-gallery-item" onClick={() => void openExample(store, ex)} data-testid={`example-${ex.slug}`}>
            <span className="pw-gallery-name">{name}</span>
            <span className="pw-gallery-desc">{description || `examples/${ex.slug}`}</span>
            <span className="pw-gallery-meta">
              {nodes} nodes · {kinds.join(', ')}
            </span>
          </button>
        ))}
      </div>
      <p className="pw-muted pw-small">Opening an example replaces the canvas; the current pipeline stays one undo away.</p>
      {WORKSHOP.length > 0 && (
        <div className="pw-modal-foot">
          <a
            className="pw-button"
            href={WORKSHOP_HASH}
            onClick={(e) => {
              e.preventDefault();
              store.getState().setDialog({ type: 'workshop' });
            }}
            data-testid="open-workshop"
          >
            Workshop: {WORKSHOP.length} exercises on these examples →
          </a>
        </div>
      )}
    </Modal>
  );
}

function OpenFailed({ file, problems }: { file: string; problems: Parameters<typeof formatProblem>[0][] }) {
  const close = useClose();
  return (
    <Modal title={`Could not open ${file}`} testId="open-failed">
      <p>Nothing on the canvas has changed. Fix the file and open it again:</p>
      <ul className="pw-plain-list pw-open-problems">
        {problems.map((p, i) => (
          <li key={i} className={`pw-msg pw-${p.severity}`}>
            <code>
              {file}:{p.line ?? 1}:{p.column ?? 1}
            </code>{' '}
            {p.code}: {p.message} <span className="pw-hint">{p.hint}</span>
          </li>
        ))}
      </ul>
      <div className="pw-modal-foot">
        <button type="button" className="pw-button is-primary" onClick={close}>
          OK
        </button>
      </div>
    </Modal>
  );
}

function SecondInput({ wire, message }: { wire: Wire; message: string }) {
  const s = useDesignerStore().getState;
  const close = useClose();
  const finish = (verdict: { ok: boolean; reason?: string }) => {
    if (!verdict.ok && verdict.reason) s().toast(verdict.reason, 'error');
    close();
  };
  return (
    <Modal title="This input is already wired" testId="second-input">
      <p>{message}</p>
      <p className="pw-muted">Merging suits two different streams of the same events; wiring the same events twice counts them twice.</p>
      <div className="pw-modal-foot">
        <button type="button" className="pw-button is-primary" onClick={() => finish(s().replaceWire(wire))} data-testid="replace-wire">
          Replace the existing wire
        </button>
        <button type="button" className="pw-button" onClick={() => finish(s().connect(wire))} data-testid="merge-wire">
          Keep both (merge)
        </button>
        <button type="button" className="pw-button is-quiet" onClick={close}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

function Shortcuts() {
  return (
    <Modal title="Keyboard shortcuts" testId="shortcuts">
      <table className="pw-shortcuts">
        <tbody>
          {SHORTCUTS.map((k) => (
            <tr key={k.keys}>
              <td>
                {k.keys.split(' ').map((key, i) => (
                  <kbd key={i}>{key === 'Mod' ? MOD : key}</kbd>
                ))}
              </td>
              <td>{k.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="pw-muted pw-small">In a text field, the field's own undo, copy and paste apply.</p>
    </Modal>
  );
}

/** Export zip or Share link on a pipeline with errors: the focused, default action shows the problems. */
function ExportAnyway({ action, errors, failingTests = 0 }: { action: 'zip' | 'link'; errors: number; failingTests?: number }) {
  const store = useDesignerStore();
  const close = useClose();
  const show = useRef<HTMLButtonElement>(null);
  // After the modal's own focus: Enter shows the problems.
  useEffect(() => show.current?.focus(), []);
  const what = `${errors} problem${errors > 1 ? 's' : ''}`;
  const anyway = () => {
    close();
    void (action === 'zip' ? exportZip(store, { anyway: true }) : copyShareLink(store, { anyway: true }));
  };
  return (
    <Modal title={action === 'zip' ? 'Export with problems?' : 'Share with problems?'} testId="export-anyway">
      <p data-testid="export-anyway-text">
        {failingTests === errors
          ? action === 'zip'
            ? `${what}: the pipeline's own tests fail, and so will the exported repo's npm test. Export anyway?`
            : `${what}: the pipeline's own tests fail, and so will npm test in a repo generated from this link. Share anyway?`
          : action === 'zip'
            ? `${what}: the exported repo will not build. Export anyway?`
            : `${what}: a repo generated from this link will not build. Share anyway?`}
      </p>
      <div className="pw-modal-foot">
        <button type="button" className="pw-button" onClick={anyway} data-testid="export-anyway-confirm">
          {action === 'zip' ? 'Export anyway' : 'Copy link anyway'}
        </button>
        <button type="button" className="pw-button is-primary" onClick={() => showProblems(store)} ref={show} data-testid="export-anyway-show">
          Show problems
        </button>
      </div>
    </Modal>
  );
}

export const Dialogs = memo(function Dialogs() {
  const dialog = useDesigner(selectDialog);
  if (!dialog) return null;
  if (dialog.type === 'examples') return <Gallery />;
  if (dialog.type === 'export-anyway') return <ExportAnyway action={dialog.action} errors={dialog.errors} failingTests={dialog.failingTests} />;
  if (dialog.type === 'second-input') return <SecondInput wire={dialog.wire} message={dialog.message} />;
  if (dialog.type === 'shortcuts') return <Shortcuts />;
  if (dialog.type === 'workshop') {
    return (
      <Modal title="Workshop" testId="workshop-dialog">
        <WorkshopList />
      </Modal>
    );
  }
  return <OpenFailed file={dialog.file} problems={dialog.problems} />;
});
