import { useState } from 'react';

/**
 * The text of a box that edits a value of the pipeline as text (a list, JSON, YAML, an id).
 * The draft is the user's own until the pipeline changes under it (undo, open,
 * record, a rename elsewhere): then it follows the pipeline, unless the draft
 * already says the same thing (`same`), so that typing is never overwritten by
 * the value the typing itself produced. A draft that does not parse stays a draft.
 * `onFollow` runs when the draft is replaced (e.g. to clear a parse error).
 */
export function useDraft<T>(model: T, show: (model: T) => string, same: (draft: string, model: T) => boolean, onFollow?: () => void): [string, (text: string) => void] {
  const [text, setText] = useState(() => show(model));
  const [followed, setFollowed] = useState(model);
  if (!Object.is(followed, model)) {
    // React's way to adjust state when a prop changes: during render, not in an effect.
    setFollowed(model);
    if (!same(text, model)) {
      setText(show(model));
      onFollow?.();
    }
  }
  return [text, setText];
}
