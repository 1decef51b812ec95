/**
 * The generated repository's package-lock.json, made without a network: the
 * generated package.json pins the versions Pipewright itself installs, so the
 * lock is the part of Pipewright's own package-lock.json (lockfileVersion 3)
 * that the generated package reaches: its dependencies and devDependencies and
 * everything they need, each entry as npm wrote it (version, resolved,
 * integrity, dependencies, …) at the same place in node_modules, with npm's
 * dev/optional/peer flags worked out again for the generated package. Pure:
 * the designer runs it too.
 */

type Deps = Record<string, string>;

/** A package entry of a lockfileVersion 3 `packages` map, as npm writes it. */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Deps;
  devDependencies?: Deps;
  optionalDependencies?: Deps;
  peerDependencies?: Deps;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** The parts of the generated package.json that its lock's root entry repeats. */
export interface RootPackage {
  name: string;
  version: string;
  dependencies?: Deps;
  devDependencies?: Deps;
  engines?: Record<string, string>;
}

/** What stops the lock: a package the generated repository needs that Pipewright's lock does not hold. */
export class LockfileError extends Error {
  constructor(
    message: string,
    readonly pkg: string,
  ) {
    super(message);
    this.name = 'LockfileError';
  }
}

/** Where Node finds `name` from the package at `from` ('' is the root): the nearest node_modules folder up the tree that holds it. */
export function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  const chain = from === '' ? [] : from.slice('node_modules/'.length).split('/node_modules/');
  for (let i = chain.length; i >= 0; i--) {
    const at = i === 0 ? `node_modules/${name}` : `node_modules/${chain.slice(0, i).join('/node_modules/')}/node_modules/${name}`;
    if (packages[at]) return at;
  }
  return undefined;
}

interface Edge {
  to: string;
  dev: boolean;
  optional: boolean;
  peer: boolean;
}

const FLAGS = ['dev', 'optional', 'devOptional', 'peer'] as const;

/**
 * The lock of `root` cut from `source` (Pipewright's own lock). Throws
 * LockfileError when a package, or the exact version the root pins, is not
 * in it. Same inputs, same text.
 */
export function lockfileFor(root: RootPackage, source: Lockfile): string {
  if (source.lockfileVersion !== 3 || typeof source.packages !== 'object') {
    throw new LockfileError(`Pipewright's package-lock.json is lockfileVersion ${String(source.lockfileVersion)}, not 3`, 'package-lock.json');
  }
  const all = source.packages;
  const edges = new Map<string, Edge[]>();
  const seen = new Set<string>();
  const queue: string[] = [];

  const edgesFrom = (
    from: string,
    entry: Pick<LockEntry, 'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'peerDependenciesMeta'>,
    devDeps: Deps = {},
  ): Edge[] => {
    const out: Edge[] = [];
    const add = (name: string, kind: { dev?: boolean; optional?: boolean; peer?: boolean }) => {
      const to = resolveIn(all, from, name);
      if (to === undefined || all[to].link) {
        if (kind.optional) return; // npm installs an optional dependency it cannot have without it
        const who = from === '' ? 'the generated package.json' : `${from.slice(from.lastIndexOf('node_modules/') + 13)}@${all[from].version}`;
        throw new LockfileError(`${name}, which ${who} depends on, is not in Pipewright's package-lock.json`, name);
      }
      out.push({ to, dev: kind.dev === true, optional: kind.optional === true, peer: kind.peer === true });
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    };
    for (const name of Object.keys(entry.dependencies ?? {})) add(name, {});
    for (const name of Object.keys(entry.optionalDependencies ?? {})) add(name, { optional: true });
    for (const name of Object.keys(entry.peerDependencies ?? {})) add(name, { peer: true, optional: entry.peerDependenciesMeta?.[name]?.optional === true });
    for (const name of Object.keys(devDeps)) add(name, { dev: true });
    return out;
  };

  checkPins(root, all);
  edges.set('', edgesFrom('', { dependencies: root.dependencies }, root.devDependencies));
  while (queue.length) {
    const at = queue.shift()!;
    edges.set(at, edgesFrom(at, all[at]));
  }

  const flags = depFlags(seen, edges);

  const packages: Record<string, LockEntry> = {
    '': {
      name: root.name,
      version: root.version,
      ...(root.dependencies ? { dependencies: root.dependencies } : {}),
      ...(root.devDependencies ? { devDependencies: root.devDependencies } : {}),
      ...(root.engines ? { engines: root.engines } : {}),
    },
  };
  // In the order of Pipewright's lock, which is npm's.
  for (const at of Object.keys(all)) {
    if (!seen.has(at)) continue;
    packages[at] = withFlags(all[at], flags.get(at)!);
  }
  const lock = { name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** The root pins exact versions: they must be the ones Pipewright installs (LockfileError otherwise). */
function checkPins(root: RootPackage, all: Lockfile['packages']): void {
  for (const [name, wanted] of [...Object.entries(root.dependencies ?? {}), ...Object.entries(root.devDependencies ?? {})]) {
    const at = resolveIn(all, '', name);
    const have = at === undefined ? undefined : all[at].version;
    if (have !== wanted) {
      throw new LockfileError(
        have === undefined
          ? `${name}@${wanted}, which the generated package.json depends on, is not in Pipewright's package-lock.json`
          : `the generated package.json pins ${name}@${wanted}, but Pipewright's package-lock.json has ${name}@${have}`,
        name,
      );
    }
  }
}

/** npm's flags of each package reached (as its calc-dep-flags computes them): set everywhere, then cleared along every edge that does not carry them. */
function depFlags(seen: ReadonlySet<string>, edges: ReadonlyMap<string, Edge[]>): Map<string, Record<(typeof FLAGS)[number], boolean>> {
  const flags = new Map<string, Record<(typeof FLAGS)[number], boolean>>();
  for (const at of seen) flags.set(at, { dev: true, optional: true, devOptional: true, peer: true });
  flags.set('', { dev: false, optional: false, devOptional: false, peer: false });
  const work = [''];
  while (work.length) {
    const from = work.pop()!;
    const f = flags.get(from)!;
    for (const e of edges.get(from) ?? []) {
      const t = flags.get(e.to)!;
      const clearDevOpt = !f.devOptional && !f.dev && !f.optional && !e.dev && !e.optional;
      const clear = {
        devOptional: clearDevOpt,
        dev: clearDevOpt || (!f.dev && !e.dev),
        optional: clearDevOpt || (!f.optional && !e.optional),
        peer: !f.peer && !e.peer,
      };
      let changed = false;
      for (const k of FLAGS) {
        if (clear[k] && t[k]) {
          t[k] = false;
          changed = true;
        }
      }
      if (changed) work.push(e.to);
    }
  }
  return flags;
}

/** A package's entry of Pipewright's lock with the flags `f` in place of its own, where npm puts them (after version, resolved, integrity). */
function withFlags(entry: LockEntry, f: Record<(typeof FLAGS)[number], boolean>): LockEntry {
  const out: LockEntry = {};
  const put = () => {
    if (f.dev) out.dev = true;
    if (f.optional) out.optional = true;
    if (f.devOptional && !f.dev && !f.optional) out.devOptional = true;
    if (f.peer) out.peer = true;
  };
  let placed = false;
  for (const [field, value] of Object.entries(entry)) {
    if ((FLAGS as readonly string[]).includes(field)) continue;
    if (!placed && field !== 'version' && field !== 'resolved' && field !== 'integrity') {
      put();
      placed = true;
    }
    out[field] = value;
  }
  if (!placed) put();
  return out;
}
