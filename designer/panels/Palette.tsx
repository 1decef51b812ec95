/**
 * The palette: every kind in the registry, grouped by category, searchable.
 * Drag a kind onto the canvas, or press it (click, Enter, Space) to add it
 * in the middle of the view.
 */
import { memo, useMemo, type DragEvent } from 'react';
import { KINDS } from '../../runtime/kinds/registry.js';
import type { Category, KindSpec } from '../../runtime/kinds/spec.js';
import { addNodeFromPalette } from '../actions.js';
import { KIND_MIME, setDraggedKind } from '../flow-api.js';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectPaletteQuery } from '../store/selectors.js';

export const GROUPS: { category: Category; title: string }[] = [
  { category: 'source', title: 'Sources' },
  { category: 'transform', title: 'Transforms' },
  { category: 'model', title: 'Model' },
  { category: 'sink', title: 'Sinks' },
];

export function matchKinds(query: string, kinds: readonly KindSpec[] = KINDS): KindSpec[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return kinds.filter((k) => {
    const hay = `${k.kind} ${k.title} ${k.summary} ${k.category}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

function onDragStart(e: DragEvent<HTMLButtonElement>) {
  const kind = e.currentTarget.dataset.kind!;
  e.dataTransfer.setData(KIND_MIME, kind);
  setDraggedKind(kind);
  e.dataTransfer.effectAllowed = 'copy';
}

const onDragEnd = () => setDraggedKind(undefined);

export const Palette = memo(function Palette() {
  const store = useDesignerStore();
  const onAdd = (e: { currentTarget: HTMLButtonElement }) => void addNodeFromPalette(store, e.currentTarget.dataset.kind!);
  const setQuery = (e: { target: HTMLInputElement }) => store.getState().setPaletteQuery(e.target.value);
  const query = useDesigner(selectPaletteQuery);
  const found = useMemo(() => matchKinds(query), [query]);
  return (
    <nav className="pw-palette" aria-label="Node palette">
      <div className="pw-panel-title">Nodes</div>
      <input type="search" className="pw-input pw-palette-search" placeholder="Search nodes…" aria-label="Search nodes" value={query} onChange={setQuery} />
      <div className="pw-palette-list">
        {GROUPS.map(({ category, title }) => {
          const kinds = found.filter((k) => k.category === category);
          if (kinds.length === 0) return null;
          return (
            <section key={category} className="pw-palette-group" aria-label={title}>
              <h3>{title}</h3>
              {kinds.map((k) => (
                <button
                  key={k.kind}
                  type="button"
                  className={`pw-palette-item pw-cat-${k.category}`}
                  draggable
                  data-kind={k.kind}
                  data-testid={`palette-${k.kind}`}
                  onDragStart={onDragStart}
                  onDragEnd={onDragEnd}
                  onClick={onAdd}
                  title={`${k.docs}\n\nDrag onto the canvas, or press Enter to add.`}
                >
                  <span className="pw-palette-name">
                    {k.title} <code>{k.kind}</code>
                  </span>
                  <span className="pw-palette-summary">{k.summary}</span>
                </button>
              ))}
            </section>
          );
        })}
        {found.length === 0 && <p className="pw-muted">No node matches “{query}”.</p>}
      </div>
    </nav>
  );
});
