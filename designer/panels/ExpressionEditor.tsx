/**
 * An expression field: CodeMirror 6 with TypeScript highlighting and
 * completion of the event's fields (`value.` lists what the upstream
 * sources' sample events carry, `record.` what the runtime passes).
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import { EditorState, Annotation } from '@codemirror/state';
import { EditorView, keymap, placeholder as placeholderExt, tooltips } from '@codemirror/view';
import { memo, useEffect, useRef } from 'react';
import { withSchemaFiles } from '../../codegen/schema-files.js';
import { completeMember, valueShape } from '../graph/fields.js';
import { useDesignerStore } from '../store/context.js';
import type { DesignerStore } from '../store/index.js';

/** Marks changes that came from the store (undo, another node) rather than typing. */
const external = Annotation.define<boolean>();

/** Completion for the node being edited, read from the store when asked. */
function completionFor(store: DesignerStore, nodeId: string, acc: boolean) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    const { pipeline, files } = store.getState();
    const shape = valueShape(withSchemaFiles(pipeline, files), nodeId);
    const found = completeMember(before, shape);
    if (found) {
      return {
        from: line.from + found.from,
        options: found.options.map((o) => ({ label: o.label, detail: o.detail, type: 'property' })),
        validFor: /^[\w$]*$/,
      };
    }
    const word = ctx.matchBefore(/[A-Za-z_$][\w$]*/);
    if (!word && !ctx.explicit) return null;
    return {
      from: word ? word.from : ctx.pos,
      options: [
        { label: 'value', detail: 'the event', type: 'variable' },
        { label: 'key', detail: 'string | null', type: 'variable' },
        { label: 'record', detail: 'timestamp, headers, topic, partition, offset', type: 'variable' },
        // A reducer's result so far (aggregate's reduce).
        ...(acc ? [{ label: 'acc', detail: 'the result so far', type: 'variable' }] : []),
      ],
      validFor: /^[\w$]*$/,
    };
  };
}

const theme = EditorView.theme({
  '&': { fontSize: '13px', background: 'var(--pw-input-bg)', color: 'var(--pw-fg)', borderRadius: '6px', border: '1px solid var(--pw-border)' },
  '&.cm-focused': { outline: '2px solid var(--pw-accent)', outlineOffset: '1px' },
  '.cm-content': { fontFamily: 'var(--pw-mono)', padding: '6px 2px', caretColor: 'var(--pw-fg)' },
  '.cm-scroller': { fontFamily: 'var(--pw-mono)' },
  '.cm-placeholder': { color: 'var(--pw-muted)' },
  '.cm-tooltip': { background: 'var(--pw-panel)', color: 'var(--pw-fg)', border: '1px solid var(--pw-border)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { background: 'var(--pw-accent)', color: 'white' },
});

interface Props {
  nodeId: string;
  id: string;
  label: string;
  value: string;
  placeholder?: string;
  invalid: boolean;
  describedBy?: string;
  /** The expression is a reducer: it also sees `acc`. */
  acc?: boolean;
  onChange: (text: string) => void;
}

function ExpressionEditorImpl({ nodeId, id, label, value, placeholder, invalid, describedBy, acc, onChange }: Props) {
  const store = useDesignerStore();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changeRef = useRef(onChange);
  useEffect(() => {
    changeRef.current = onChange;
  });

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          closeBrackets(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          javascript({ typescript: true }),
          autocompletion({ override: [completionFor(store, nodeId, acc ?? false)], activateOnTyping: true }),
          // Tooltips on <body> so the inspector's scroll box does not clip them.
          tooltips({ parent: document.body }),
          keymap.of([...closeBracketsKeymap, ...completionKeymap, ...historyKeymap, ...defaultKeymap]),
          placeholderExt(placeholder ?? ''),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, id, ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
          theme,
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((t) => t.annotation(external))) changeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one editor per node and field; value, label and the rest are synced below
  }, [nodeId, id]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value }, annotations: external.of(true) });
    }
  }, [value]);

  return <div ref={host} className={`pw-code-field${invalid ? ' is-invalid' : ''}`} data-testid={`expr-${id}`} />;
}

export const ExpressionEditor = memo(ExpressionEditorImpl);
