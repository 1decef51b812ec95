/**
 * The open exercise, above the canvas: its goal, progress in the workshop,
 * "Check my answer" with the outcome and the reasons when it fails, hints one
 * at a time, and the solution.
 */
import { memo } from 'react';
import { useDesigner, useDesignerStore } from '../store/context.js';
import { applySolution, checkAnswer, nextExercise, startOver } from './actions.js';
import { exerciseLink, WORKSHOP, WORKSHOP_HASH } from './catalog.js';
import type { ExerciseCheck } from './slice.js';

const ALLOWED_WORDS: Record<string, string> = {
  'edit-pipeline': 'edit the pipeline',
  'add-replica': 'add replicas',
  'remove-replica': 'remove replicas',
  'kill-replica': 'kill replicas',
  'set-rate': 'change the rate',
  'add-group': 'add groups',
  'remove-group': 'remove groups',
  'add-group-member': 'add group members',
  'kill-group-member': 'kill group members',
  'slow-group-member': 'slow group members',
  'kill-broker': 'kill brokers',
  'restart-broker': 'restart brokers',
  'slow-broker': 'slow brokers',
  'set-cluster': 'change acks and min.insync.replicas',
};

function Outcome({ check }: { check: ExerciseCheck | null }) {
  if (!check) return null;
  if (check.state === 'checking')
    return (
      <p className="pw-exercise-result" data-testid="exercise-result" data-state="checking">
        Checking: the simulation runs on to the exercise's length…
      </p>
    );
  if (check.state === 'error')
    return (
      <p className="pw-exercise-result is-fail" data-testid="exercise-result" data-state="error">
        {check.message}
      </p>
    );
  return (
    <div className={`pw-exercise-result ${check.pass ? 'is-pass' : 'is-fail'}`} data-testid="exercise-result" data-state={check.pass ? 'pass' : 'fail'}>
      <strong>{check.pass ? '✓ Passed.' : '✗ Not yet.'}</strong>
      <ul className="pw-plain-list">
        {check.results.map((r, i) => (
          <li key={i} data-testid="exercise-reason" data-pass={r.pass ? 'yes' : 'no'}>
            {r.pass ? '✓' : '✗'} {r.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The exercise's place in the workshop: the link back to the workshop page, the progress, and the way out. */
function ExerciseHead({ index, concept }: { index: number; concept: string }) {
  const store = useDesignerStore();
  const done = useDesigner((s) => s.exercisesDone);
  return (
    <div className="pw-exercise-head">
      {/* The workshop page over the exercise: the link stays the exercise's. */}
      <a
        href={WORKSHOP_HASH}
        className="pw-exercise-crumb"
        onClick={(e) => {
          e.preventDefault();
          store.getState().setDialog({ type: 'workshop' });
        }}
      >
        Workshop
      </a>
      <span data-testid="exercise-progress">
        Exercise {index + 1} of {WORKSHOP.length} · {concept} · {WORKSHOP.filter((e) => done.includes(e.ref)).length} of {WORKSHOP.length} done
      </span>
      <a href="#" className="pw-exercise-leave" data-testid="exercise-leave" title="Back to your own pipeline">
        Leave exercise
      </a>
    </div>
  );
}

export const ExercisePanel = memo(function ExercisePanel() {
  const store = useDesignerStore();
  const current = useDesigner((s) => s.exercise);
  const hintsShown = useDesigner((s) => s.hintsShown);
  const check = useDesigner((s) => s.exerciseCheck);
  const solutionShown = useDesigner((s) => s.solutionShown);
  if (!current) return null;
  const ex = current.exercise;
  const index = WORKSHOP.indexOf(current);
  const next = nextExercise(current);
  const s = store.getState;
  return (
    <section className="pw-exercise" data-testid="exercise-panel" aria-label="Exercise">
      <ExerciseHead index={index} concept={ex.concept} />
      <h2 data-testid="exercise-title">{ex.title}</h2>
      <p data-testid="exercise-goal">{ex.goal}</p>
      <p className="pw-muted pw-small">
        You may: {ex.allowed.map((a) => ALLOWED_WORDS[a] ?? a).join(', ')}. The check judges {ex.run.seconds} simulated seconds of your simulation.
      </p>
      <div className="pw-exercise-actions">
        <button
          type="button"
          className="pw-button is-primary"
          onClick={() => void checkAnswer(store, localStorage)}
          disabled={check?.state === 'checking'}
          data-testid="exercise-check"
        >
          Check my answer
        </button>
        <button type="button" className="pw-button" onClick={() => s().showHint()} disabled={hintsShown >= ex.hints.length} data-testid="exercise-hint">
          {hintsShown >= ex.hints.length ? 'No more hints' : `Hint ${hintsShown + 1} of ${ex.hints.length}`}
        </button>
        <button type="button" className="pw-button" onClick={() => s().setSolutionShown(!solutionShown)} data-testid="exercise-show-solution">
          {solutionShown ? 'Hide solution' : 'Show solution'}
        </button>
        <button type="button" className="pw-button is-quiet" onClick={() => startOver(store)} data-testid="exercise-start-over">
          Start over
        </button>
        {check?.state === 'done' && check.pass && next && (
          <a className="pw-button" href={exerciseLink(next.ref)} data-testid="exercise-next">
            Next: {next.exercise.title} →
          </a>
        )}
      </div>
      <Outcome check={check} />
      {hintsShown > 0 && (
        <ol className="pw-exercise-hints" data-testid="exercise-hints">
          {ex.hints.slice(0, hintsShown).map((h, i) => (
            <li key={i}>{h}</li>
          ))}
        </ol>
      )}
      {solutionShown && (
        <div className="pw-exercise-solution" data-testid="exercise-solution">
          <p>{ex.solution.explain}</p>
          <button type="button" className="pw-button" onClick={() => applySolution(store)} data-testid="exercise-apply-solution">
            Apply the solution{ex.solution.actions?.length ? ' and replay its actions' : ''}
          </button>
        </div>
      )}
    </section>
  );
});
