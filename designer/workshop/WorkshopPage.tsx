/** The workshop page: every exercise of every example in the suggested order, its concept, and a done mark. */
import { useDesigner, useDesignerStore } from '../store/context.js';
import { exerciseLink, WORKSHOP } from './catalog.js';

export function WorkshopList() {
  const store = useDesignerStore();
  const done = useDesigner((s) => s.exercisesDone);
  const current = useDesigner((s) => s.exercise?.ref);
  const count = WORKSHOP.filter((e) => done.includes(e.ref)).length;
  return (
    <div className="pw-workshop" data-testid="workshop">
      <p className="pw-muted">
        Exercises on the examples, in a suggested order. Each opens its own pipeline and simulator set-up; your own pipeline stays saved as it is.{' '}
        <span data-testid="workshop-done-count">
          {count} of {WORKSHOP.length} done.
        </span>
      </p>
      <ol className="pw-workshop-list">
        {WORKSHOP.map((e, i) => {
          const isDone = done.includes(e.ref);
          return (
            <li key={e.ref} className={isDone ? 'is-done' : ''} data-testid="workshop-item" data-ref={e.ref} data-done={isDone ? 'yes' : 'no'}>
              <span className="pw-workshop-mark" aria-label={isDone ? 'done' : 'not done'}>
                {isDone ? '✓' : '○'}
              </span>
              <a
                href={exerciseLink(e.ref)}
                className="pw-workshop-title"
                aria-current={current === e.ref ? 'page' : undefined}
                onClick={() => store.getState().setDialog(null)}
              >
                {i + 1}. {e.exercise.title}
              </a>
              <span className="pw-workshop-concept">{e.exercise.concept}</span>
              <span className="pw-muted pw-small">examples/{e.example}</span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
