/**
 * What the live panels show, in a store of their own: the static designer never creates a client,
 * so nothing here changes and nothing live renders without `?token=`.
 */
import { create } from 'zustand';
import type { GroupInfo, LiveClient, PeekedMessage, RunStarted, RunStatus, Status, TopicInfo } from './api.js';
import type { Conflict } from './sync.js';
import type { LiveView } from './view.js';

export type LiveTab = 'topics' | 'groups' | 'run' | 'tail';

/** A question before something is written to the cluster or the file. */
export interface Confirm {
  title: string;
  /** What will be written, one line each. */
  lines: string[];
  actions: { label: string; danger?: boolean; run(): void | Promise<void> }[];
  testId: string;
}

/** Messages kept per tailed topic. */
export const TAIL_KEEP = 100;

export interface LiveState {
  client: LiveClient | null;
  status: Status | null;
  tab: LiveTab;
  collapsed: boolean;
  topics: TopicInfo[] | null;
  topic: TopicInfo | null;
  groups: GroupInfo[] | null;
  peek: { topic: string; partition: number; limit: number; messages: PeekedMessage[] } | null;
  /** The last failure of a panel's request, in plain words. */
  error: string | null;
  run: RunStarted | null;
  runStatus: RunStatus | null;
  runView: LiveView | null;
  /** The run's consumer group, for committed offsets and owners next to the run's lag. */
  runGroup: GroupInfo | null;
  tails: Record<string, PeekedMessage[]>;
  conflict: Conflict | null;
  /** The conflict question was put aside (✕); the dock shows a button to answer it. */
  conflictHidden: boolean;
  confirm: Confirm | null;
  saved: { state: 'saved' | 'loaded' | 'error'; text?: string; at: number } | null;
}

export const useLive = create<LiveState>()(() => ({
  client: null,
  status: null,
  tab: 'topics',
  collapsed: false,
  topics: null,
  topic: null,
  groups: null,
  peek: null,
  error: null,
  run: null,
  runStatus: null,
  runView: null,
  runGroup: null,
  tails: {},
  conflict: null,
  conflictHidden: false,
  confirm: null,
  saved: null,
}));

export const live = () => useLive.getState();
export const setLive = (patch: Partial<LiveState>) => useLive.setState(patch);

/** Append a tailed message, keeping the newest TAIL_KEEP. */
export function addTail(tails: LiveState['tails'], topic: string, message: PeekedMessage): LiveState['tails'] {
  if (!(topic in tails)) return tails; // no longer tailed
  return { ...tails, [topic]: [...tails[topic], message].slice(-TAIL_KEEP) };
}

const nodeSelectors = new Map<string, (s: LiveState) => LiveView['nodes'][string] | undefined>();
/** A node's counts while a run is on, or undefined: built once per node id. */
export function selectLiveNode(id: string) {
  let sel = nodeSelectors.get(id);
  if (!sel) nodeSelectors.set(id, (sel = (s: LiveState) => (s.run ? s.runView?.nodes[id] : undefined)));
  return sel;
}
const edgeSelectors = new Map<string, (s: LiveState) => { count: number; rate: number } | undefined>();
export function selectLiveEdge(key: string) {
  let sel = edgeSelectors.get(key);
  if (!sel) edgeSelectors.set(key, (sel = (s: LiveState) => (s.run ? s.runView?.edges[key] : undefined)));
  return sel;
}
