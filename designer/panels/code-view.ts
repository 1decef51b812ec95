/**
 * The code preview's viewer: CodeMirror, read-only, with the language of
 * the file (TypeScript and JavaScript, JSON, YAML) highlighted in colours
 * that follow the designer's theme.
 */
import { javascript } from '@codemirror/lang-javascript';
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser } from '@codemirror/language';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, highlightActiveLine, lineNumbers } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

/** YAML as the generated repository has it: comments, keys, scalars, lists. Enough to read, not to edit. */
const yamlParser: StreamParser<{ inValue: boolean }> = {
  name: 'yaml',
  startState: () => ({ inValue: false }),
  token(stream, state) {
    if (stream.sol()) state.inValue = false;
    if (stream.eatSpace()) return null;
    if (stream.match(/^#.*/)) return 'comment';
    if (stream.sol() && stream.match(/^(---|\.\.\.)\s*$/)) return 'meta';
    if (!state.inValue && stream.match(/^(?:[^\s:#'"][^:#]*?|"[^"]*"|'[^']*')(?=:(\s|$))/)) return 'propertyName';
    if (stream.match(/^:(?=\s|$)/)) {
      state.inValue = true;
      return 'punctuation';
    }
    if (stream.match(/^-(?=\s|$)/) || stream.match(/^[[\]{},|>]/)) return 'punctuation';
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^']|'')*'?/)) return 'string';
    if (stream.match(/^-?\d+(\.\d+)?([eE][-+]?\d+)?(?=[\s,\]}]|$)/)) return 'number';
    if (stream.match(/^(true|false|null|~)(?=[\s,\]}]|$)/)) return 'atom';
    if (!stream.match(/^[^\s#,[\]{}]+/)) stream.next();
    return 'string';
  },
};

const yaml = StreamLanguage.define(yamlParser);

export function languageFor(path: string): Extension {
  if (/\.(ts|tsx|mts|cts)$/.test(path)) return javascript({ typescript: true });
  if (/\.(js|mjs|cjs|json)$/.test(path)) return javascript();
  if (/\.ya?ml$/.test(path)) return yaml;
  return [];
}

/** Colours from the designer's CSS variables, so light and dark both read well. */
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.operatorKeyword, t.modifier, t.controlKeyword, t.definitionKeyword, t.moduleKeyword], color: 'var(--pw-code-keyword)' },
  { tag: [t.string, t.special(t.string), t.regexp], color: 'var(--pw-code-string)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--pw-code-number)' },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment, t.meta], color: 'var(--pw-code-comment)', fontStyle: 'italic' },
  { tag: [t.typeName, t.className, t.namespace], color: 'var(--pw-code-type)' },
  { tag: [t.propertyName, t.definition(t.propertyName)], color: 'var(--pw-code-property)' },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.variableName)], color: 'var(--pw-code-function)' },
]);

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '12px', background: 'var(--pw-panel-2)', color: 'var(--pw-fg)' },
  '.cm-scroller': { fontFamily: 'var(--pw-mono)', lineHeight: '1.5' },
  '.cm-gutters': { background: 'var(--pw-panel-2)', color: 'var(--pw-muted)', border: 'none' },
  '.cm-activeLine': { background: 'color-mix(in srgb, var(--pw-accent) 8%, transparent)' },
  '&.cm-focused': { outline: 'none' },
});

export interface CodeView {
  show(path: string, text: string): void;
  destroy(): void;
}

/** A read-only viewer in `parent`; `show` swaps the file, keeping one editor. */
export function createCodeView(parent: HTMLElement): CodeView {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: '',
      extensions: [
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        // Still focusable, so the text can be selected and copied from the keyboard.
        EditorView.contentAttributes.of({ tabindex: '0', 'aria-label': 'Generated file' }),
        lineNumbers(),
        highlightActiveLine(),
        syntaxHighlighting(highlight),
        language.of([]),
        theme,
      ],
    }),
  });
  let shown: string | null = null;
  return {
    show(path, text) {
      if (view.state.doc.toString() === text && shown === path) return;
      const sameFile = shown === path;
      shown = path;
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: language.reconfigure(languageFor(path)),
        // A new file starts at its top; the same file, regenerated, keeps its place.
        ...(sameFile ? {} : { selection: { anchor: 0 }, scrollIntoView: true }),
      });
    },
    destroy: () => view.destroy(),
  };
}
