/** Live mode's questions: a confirmation before writing to the cluster, and the file-changed-too prompt. */
import { memo, useState } from 'react';
import { Modal } from '../panels/Dialogs.js';
import { ask } from './actions.js';
import { liveSync } from './start.js';
import { setLive, useLive } from './store.js';

const closeConfirm = () => ask(null);

const ConfirmDialog = memo(function ConfirmDialog() {
  const confirm = useLive((s) => s.confirm);
  if (!confirm) return null;
  return (
    <Modal title={confirm.title} testId={confirm.testId} onClose={closeConfirm}>
      {confirm.lines.map((line, i) => (
        <p key={i} data-testid={`${confirm.testId}-line`}>
          {line}
        </p>
      ))}
      <div className="pw-modal-foot">
        {confirm.actions.map((a) => (
          <button
            key={a.label}
            type="button"
            className={`pw-button${a.danger ? ' is-danger' : ''}`}
            onClick={() => void a.run()}
            data-testid={`${confirm.testId}-${a.label.toLowerCase().replace(/[^a-z]+/g, '-')}`}
          >
            {a.label}
          </button>
        ))}
        <button type="button" className="pw-button is-primary" onClick={closeConfirm} data-testid={`${confirm.testId}-cancel`}>
          Cancel
        </button>
      </div>
    </Modal>
  );
});

/** One side of "show both": its lines, those the other side lacks marked. */
function Lines({ text, other, testId }: { text: string; other: string; testId: string }) {
  const theirs = new Set(other.split('\n'));
  return (
    <pre data-testid={testId}>
      {text.split('\n').map((line, i) => (
        <div key={i} className={theirs.has(line) ? undefined : 'pw-live-diff'} data-testid={theirs.has(line) ? undefined : `${testId}-differs`}>
          {line || ' '}
        </div>
      ))}
    </pre>
  );
}

/** ✕ puts the question aside; nothing is saved until it is answered, and the dock offers it again. */
const later = () => setLive({ conflictHidden: true });

const ConflictDialog = memo(function ConflictDialog() {
  const conflict = useLive((s) => (s.conflictHidden ? null : s.conflict));
  const path = useLive((s) => s.status?.pipelinePath);
  const [both, setBoth] = useState(false);
  if (!conflict) return null;
  const choose = (choice: 'mine' | 'theirs') => {
    setBoth(false);
    void liveSync()?.resolve(choice);
  };
  return (
    <Modal title="The pipeline file changed on disk too" testId="live-conflict" onClose={later}>
      <p>
        <code>{path ?? 'The file'}</code> was changed outside the designer while the canvas had edits that are not in it yet. Which version should the file and
        the canvas keep?
      </p>
      {both && (
        <div className="pw-live-both" data-testid="live-conflict-both">
          <figure>
            <figcaption>Yours (the canvas)</figcaption>
            <Lines text={conflict.mine} other={conflict.theirs} testId="live-conflict-mine" />
          </figure>
          <figure>
            <figcaption>The file’s</figcaption>
            <Lines text={conflict.theirs} other={conflict.mine} testId="live-conflict-theirs" />
          </figure>
        </div>
      )}
      <div className="pw-modal-foot">
        <button type="button" className="pw-button" onClick={() => setBoth(!both)} data-testid="live-conflict-show-both">
          {both ? 'Hide both' : 'Show both'}
        </button>
        <button
          type="button"
          className="pw-button"
          onClick={() => choose('theirs')}
          data-testid="live-conflict-theirs-button"
          title="The canvas shows the file; your edits are one undo away"
        >
          Take the file’s
        </button>
        <button
          type="button"
          className="pw-button is-primary"
          onClick={() => choose('mine')}
          data-testid="live-conflict-mine-button"
          title="The file gets the canvas’s version"
        >
          Keep mine
        </button>
      </div>
    </Modal>
  );
});

export const LiveDialogs = memo(function LiveDialogs() {
  return (
    <>
      <ConfirmDialog />
      <ConflictDialog />
    </>
  );
});

export const dismissLiveError = () => setLive({ error: null });
