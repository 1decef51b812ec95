/** Messages between the designer and the test runner in its check worker. */
import type { Pipeline, PipelineTest, SampleEvent } from '../../codegen/pipeline.js';
import type { PipelineFiles } from '../../runtime/kinds/spec.js';
import type { TestOutcome } from '../../codegen/test-outcomes.js';

export type TestRequest =
  /** Run every test of the pipeline. */
  | { type: 'run'; id: number; pipeline: Pipeline; files: PipelineFiles }
  /** Make a test of these input events, expecting what the pipeline makes of them now. */
  | { type: 'record'; id: number; pipeline: Pipeline; files: PipelineFiles; name: string; input: Record<string, SampleEvent[]> };

export type TestReply =
  | { type: 'outcomes'; id: number; outcomes: TestOutcome[] }
  | { type: 'recorded'; id: number; test: PipelineTest }
  | { type: 'error'; id: number; message: string };
