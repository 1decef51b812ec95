import { useState } from 'react';

/**
 * The text of a box that edits a value of the pipeline as text (a list, JSON, YAML, an id).
 * The draft is the user's own until the pipeline changes under it (undo, open,
 * record, a rename elsewhere): then it follows the pipeline, unless the draft
 * already says the same thing (`same`), so that typing is never overwritten by
 * the value the typing itself produced. A draft that does not parse stays a draft.
 * `onFollow` runs when the draft is replaced (e.g. to clear a parse error).
 */
export function useDraft<T>(
  value: T,
  show: (value: T) => string,
  same: (draft: string, value: T) => boolean,
  onFollow?: () => void,
): [string, (text: string) => void] {
  const [text, setText] = useState(() => show(value));
  const [followed, setFollowed] = useState(value);
  if (!Object.is(followed, value)) {
    // React's way to adjust state when a prop changes: during render, not in an effect.
    setFollowed(value);
    if (!same(text, value)) {
      setText(show(value));
      onFollow?.();
    }
  }
  return [text, setText];
}
