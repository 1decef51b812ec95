/**
 * The generated repository, live: a file tree and a viewer. The files come
 * from the same `generate` the CLI runs, redone a moment after each change
 * while this tab is open.
 */
import { memo, useEffect, useMemo, useRef } from 'react';
import { download } from '../actions.js';
import { createCodeView, type CodeView } from './code-view.js';
import { Splitter } from './Splitter.js';
import type { DesignerState } from '../store/types.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectPreview, selectPreviewFile, selectPreviewStale } from '../store/selectors.js';

const selectTreeWidth = (s: DesignerState) => s.panels.tree;

interface TreeRow {
  depth: number;
  name: string;
  path: string | null;
}

/** Files as a tree: folders first, each folder's entries by name. */
export function fileTree(paths: readonly string[]): TreeRow[] {
  interface Dir {
    dirs: Map<string, Dir>;
    files: string[];
  }
  const root: Dir = { dirs: new Map(), files: [] };
  for (const path of paths) {
    const parts = path.split('/');
    let d = root;
    for (const part of parts.slice(0, -1)) d = d.dirs.get(part) ?? d.dirs.set(part, { dirs: new Map(), files: [] }).get(part)!;
    d.files.push(path);
  }
  const rows: TreeRow[] = [];
  const walk = (d: Dir, depth: number) => {
    for (const [name, sub] of [...d.dirs].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push({ depth, name: `${name}/`, path: null });
      walk(sub, depth + 1);
    }
    for (const f of [...d.files].sort()) rows.push({ depth, name: f.slice(f.lastIndexOf('/') + 1), path: f });
  };
  walk(root, 0);
  return rows;
}

/** CodeMirror, created once per preview and handed each file to show. */
function Viewer({ path, text }: { path: string; text: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<CodeView | null>(null);
  useEffect(() => {
    view.current = createCodeView(host.current!);
    return () => {
      view.current?.destroy();
      view.current = null;
    };
  }, []);
  useEffect(() => view.current?.show(path, text), [path, text]);
  return <div className="pw-code" ref={host} data-testid="preview-code" data-path={path} />;
}

/** Why there is no code: the generator failed, or the pipeline's first errors. */
function PreviewBlocked({ preview }: { preview: NonNullable<ReturnType<typeof selectPreview>> }) {
  return (
    <div className="pw-pad" data-testid="preview-blocked">
      {preview.crash ? (
        <p className="pw-msg pw-error">The generator failed: {preview.crash}</p>
      ) : (
        <>
          <p className="pw-muted">The code appears once the pipeline has no errors:</p>
          <ul className="pw-plain-list">
            {preview.problems
              .filter((p) => p.severity === 'error')
              .slice(0, 8)
              .map((p, i) => (
                <li key={i} className="pw-msg pw-error">
                  {p.nodeId && <code>{p.nodeId}</code>} {p.message}
                </li>
              ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** The generated files as a tree; a file's button shows it. */
function FileTree({ rows, shown, onPick }: { rows: ReturnType<typeof fileTree>; shown: string; onPick: (e: { currentTarget: HTMLButtonElement }) => void }) {
  return (
    <div className="pw-tree" role="tree" aria-label="Generated files">
      {rows.map((r, i) =>
        r.path ? (
          <button
            key={r.path}
            type="button"
            role="treeitem"
            aria-selected={r.path === shown}
            className={`pw-tree-file${r.path === shown ? ' is-current' : ''}`}
            style={{ paddingLeft: 8 + r.depth * 12 }}
            data-path={r.path}
            onClick={onPick}
          >
            {r.name}
          </button>
        ) : (
          <div key={`d${i}`} className="pw-tree-dir" style={{ paddingLeft: 8 + r.depth * 12 }}>
            {r.name}
          </div>
        ),
      )}
    </div>
  );
}

export const CodePreview = memo(function CodePreview() {
  const store = useDesignerStore();
  const onPick = (e: { currentTarget: HTMLButtonElement }) => store.getState().setPreviewFile(e.currentTarget.dataset.path!);
  const preview = useDesigner(selectPreview);
  const file = useDesigner(selectPreviewFile);
  const stale = useDesigner(selectPreviewStale);
  const treeWidth = useDesigner(selectTreeWidth);
  const files = preview?.files;
  const binary = preview?.binary;
  const rows = useMemo(() => (files ? fileTree([...Object.keys(files), ...Object.keys(binary ?? {})]) : []), [files, binary]);
  if (!preview) return <div className="pw-muted pw-pad">Generating…</div>;
  if (!files) return <PreviewBlocked preview={preview} />;
  const shown = file && (file in files || file in preview.binary) ? file : Object.keys(files).sort()[0];
  const bytes = preview.binary[shown];
  const text = bytes ? `Binary file, ${bytes.length} bytes: the pipeline's file, copied into the repository as it is.` : (files[shown] ?? '');
  const copy = async () => {
    const s = store.getState();
    try {
      await navigator.clipboard.writeText(files[shown] ?? '');
      s.toast(`Copied ${shown}.`);
    } catch {
      s.toast('The browser did not allow copying; select the text and press Ctrl+C.', 'error');
    }
  };
  const save = () => download(shown.slice(shown.lastIndexOf('/') + 1), bytes ?? files[shown] ?? '', bytes ? 'application/octet-stream' : 'text/plain');
  return (
    <div className="pw-preview" style={{ ['--pw-tree-width' as string]: `${treeWidth}px` }}>
      <FileTree rows={rows} shown={shown} onPick={onPick} />
      <Splitter name="tree" edge="right" label="Resize the file list" />
      <div className="pw-viewer">
        <div className="pw-viewer-head">
          <code data-testid="preview-path">{shown}</code>
          <span className="pw-muted pw-viewer-meta">
            {stale ? 'updating… · ' : ''}
            {text.split('\n').length} lines · {Object.keys(files).length + Object.keys(preview.binary).length} files · generated in {Math.round(preview.millis)}{' '}
            ms
          </span>
          <span className="pw-viewer-actions">
            <button
              type="button"
              className="pw-button is-quiet"
              onClick={() => void copy()}
              disabled={!!bytes}
              data-testid="preview-copy"
              title="Copy this file's text"
            >
              Copy
            </button>
            <button type="button" className="pw-button is-quiet" onClick={save} data-testid="preview-download" title="Download this file">
              Download
            </button>
          </span>
        </div>
        <Viewer path={shown} text={text} />
      </div>
    </div>
  );
});
