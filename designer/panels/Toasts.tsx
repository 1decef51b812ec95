import { memo } from 'react';
import { useDesigner } from '../store/index.js';
import { selectToasts } from '../store/selectors.js';

export const Toasts = memo(function Toasts() {
  const toasts = useDesigner(selectToasts);
  return (
    <div className="pw-toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`pw-toast pw-${t.tone}`} data-testid="toast">
          <span>{t.text}</span>
          <button type="button" className="pw-toast-close" aria-label="Dismiss" onClick={() => useDesigner.getState().dismissToast(t.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
});
