/**
 * An exercise's check on a simulation session, in the simulator's worker:
 * run on to the exercise's length, then evaluate the checks on every
 * snapshot the session kept. Not imported by the page (the checks use ajv).
 */
import { runOf } from '../../codegen/exercise-actions.js';
import { evaluateChecks, type CheckResult, type CheckSpec } from '../../codegen/exercise-checks.js';
import type { SimSession } from './session.js';

export async function checkSession(session: SimSession, checks: readonly CheckSpec[], seconds: number): Promise<CheckResult[]> {
  while (session.sim.now - session.startTime < seconds * 1000) await session.step();
  return evaluateChecks(checks, runOf(session.sim, session.history, session.plan.spec.errors.topic));
}
