import { memo } from 'react';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { selectToasts } from '../store/selectors.js';

export const Toasts = memo(function Toasts() {
  const store = useDesignerStore();
  const toasts = useDesigner(selectToasts);
  return (
    <div className="pw-toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`pw-toast pw-${t.tone}`} data-testid="toast">
          <span>{t.text}</span>
          <button type="button" className="pw-toast-close" aria-label="Dismiss" onClick={() => store.getState().dismissToast(t.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
});
