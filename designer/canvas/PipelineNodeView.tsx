/**
 * How one pipeline node looks on the canvas. Memoized: while a node is
 * dragged, only that node's props change, so only it re-renders. Its badge
 * comes from the store by node id, so a check's answer re-renders only the
 * nodes whose badge changed, and the badge never changes the node's size
 * (styles.css), so React Flow has nothing to measure again.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { getKind } from '../../runtime/kinds/registry.js';
import { ERROR_PORT, outputPorts, paramValue, type KindSpec } from '../../runtime/kinds/spec.js';
import type { PipelineNode } from '../../codegen/pipeline.js';
import { selectNodeIssue, type FlowNode } from '../store/selectors.js';
import { useDesigner } from '../store/context.js';
import { NodeSimBadge } from '../simulator/NodeSimBadge.js';

/** One line that says what the node does: its topic or its first expression. */
function gist(node: PipelineNode, kind: KindSpec): { text: string; code: boolean } | null {
  if (kind.topicParam) {
    const topic = node.params[kind.topicParam];
    return { text: typeof topic === 'string' && topic ? topic : '(no topic)', code: false };
  }
  const expr = kind.params.find((p) => p.type === 'expression');
  if (expr) {
    const v = paramValue(kind, node.params, expr.name);
    return { text: typeof v === 'string' && v.trim() ? v : `(no ${expr.title.toLowerCase()})`, code: true };
  }
  // Otherwise the first parameter set to some text (a table, a model file, a URL).
  for (const spec of kind.params) {
    const v = node.params[spec.name];
    if (typeof v === 'string' && v) return { text: v, code: false };
  }
  return null;
}

function PipelineNodeViewImpl({ data, selected }: NodeProps<FlowNode>) {
  const { node } = data;
  const issue = useDesigner(selectNodeIssue(node.id));
  const kind = getKind(node.kind);
  if (!kind) {
    return (
      <div className="pw-node pw-node-unknown" data-issue="error">
        <div className="pw-node-title">{node.id}</div>
        <div className="pw-node-gist">unknown kind “{node.kind}”</div>
      </div>
    );
  }
  const g = gist(node, kind);
  const outputs = [...outputPorts(kind, node.params), ERROR_PORT];
  const rows = Math.max(kind.inputs.length, outputs.length);
  return (
    <div className={`pw-node pw-cat-${kind.category}${selected ? ' is-selected' : ''}`} data-issue={issue} data-testid={`node-${node.id}`} title={kind.summary}>
      <div className="pw-node-head">
        <span className="pw-node-kind">{kind.title}</span>
        <span className="pw-node-category">{kind.category}</span>
        {issue && (
          <span className={`pw-node-issue pw-${issue}`} aria-label={issue === 'error' ? 'has errors' : 'has warnings'}>
            {issue === 'error' ? '!' : '?'}
          </span>
        )}
      </div>
      <div className="pw-node-title">{node.label ?? node.id}</div>
      {node.label && <div className="pw-node-sub">{node.id}</div>}
      {g && <div className={`pw-node-gist${g.code ? ' is-code' : ''}`}>{g.text}</div>}
      <div className="pw-node-ports">
        {Array.from({ length: rows }, (_, i) => (
          <div className="pw-port-row" key={i}>
            <span className="pw-port pw-port-in">
              {kind.inputs[i] !== undefined && (
                <>
                  <Handle type="target" position={Position.Left} id={kind.inputs[i]} className="pw-handle" />
                  {kind.inputs[i]}
                </>
              )}
            </span>
            <span className={`pw-port pw-port-out${outputs[i] === ERROR_PORT ? ' is-error' : ''}`}>
              {outputs[i] !== undefined && (
                <>
                  {outputs[i]}
                  <Handle
                    type="source"
                    position={Position.Right}
                    id={outputs[i]}
                    className={`pw-handle${outputs[i] === ERROR_PORT ? ' pw-handle-error' : ''}`}
                    title={outputs[i] === ERROR_PORT ? 'error port: records that failed in this node' : undefined}
                  />
                </>
              )}
            </span>
          </div>
        ))}
      </div>
      <NodeSimBadge id={node.id} />
    </div>
  );
}

export const PipelineNodeView = memo(PipelineNodeViewImpl);
