/**
 * The generated package-lock.json: for every example the same text from two
 * generations, the same packages as Pipewright's own lock at the same places,
 * closed under dependencies (every dependency of every entry resolves inside
 * it, as Node resolves it), and a clear PW095 when Pipewright's lock lacks a
 * package. npm itself installs these locks with `npm ci` in
 * test/integration/exported-repos.integration.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { lockfileFor, LockfileError, resolveIn, type Lockfile, type LockEntry } from './lockfile.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { readPipelineFiles } from './node-files.js';
import { parsePipeline } from './parse.js';

const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples')).filter((d) => {
  try {
    return readFileSync(join(REPO_ROOT, 'examples', d, 'pipeline.yaml')).length > 0;
  } catch {
    return false;
  }
});
const OWN: Lockfile = JSON.parse(nodeAssets().lockfile);
const FLAGS = ['dev', 'optional', 'devOptional', 'peer'];
const withoutFlags = (e: LockEntry) => Object.fromEntries(Object.entries(e).filter(([k]) => !FLAGS.includes(k)));

function generated(name: string, assets = nodeAssets()) {
  const path = join(REPO_ROOT, 'examples', name, 'pipeline.yaml');
  const p = parsePipeline(readFileSync(path, 'utf8')).pipeline!;
  return generate(p, assets, readPipelineFiles(path, p));
}

describe.each(EXAMPLES)('package-lock.json of %s', (name) => {
  const first = generated(name).files!;
  const lock: Lockfile = JSON.parse(first['package-lock.json']);
  const pkg = JSON.parse(first['package.json']);

  it('is the same text from two generations', () => {
    expect(generated(name).files!['package-lock.json']).toBe(first['package-lock.json']);
  });

  it('is lockfileVersion 3 whose root is the generated package.json', () => {
    expect(lock).toMatchObject({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true });
    expect(lock.packages['']).toEqual({
      name: pkg.name,
      version: pkg.version,
      dependencies: pkg.dependencies,
      devDependencies: pkg.devDependencies,
      engines: pkg.engines,
    });
  });

  it('pins what package.json asks for, at the versions Pipewright installs itself', () => {
    for (const [dep, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(lock.packages[`node_modules/${dep}`]?.version, dep).toBe(version);
      expect(OWN.packages[`node_modules/${dep}`]?.version, `${dep} in Pipewright's lock`).toBe(version);
    }
  });

  it("holds every entry as Pipewright's lock has it, at the same place, with an integrity hash", () => {
    for (const [at, entry] of Object.entries(lock.packages)) {
      if (at === '') continue;
      expect(OWN.packages[at], at).toBeDefined();
      expect(withoutFlags(entry), at).toEqual(withoutFlags(OWN.packages[at]));
      expect(entry.integrity, at).toMatch(/^sha512-/);
    }
  });

  it('is closed: every dependency of every entry resolves inside it, and nothing in it is unreachable', () => {
    const reached = new Set<string>();
    const walk = (at: string) => {
      const e = lock.packages[at];
      const edges = at === '' ? { ...e.dependencies, ...e.devDependencies } : { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies };
      for (const dep of Object.keys(edges)) {
        const to = resolveIn(lock.packages, at, dep);
        const optional = e.optionalDependencies?.[dep] !== undefined || e.peerDependenciesMeta?.[dep]?.optional === true;
        if (to === undefined) {
          expect(optional, `${dep}, needed by ${at || 'the root'}, resolves`).toBe(true);
          continue;
        }
        // The same package Node would find from there in Pipewright's full tree.
        expect(to, `${dep} from ${at || 'the root'}`).toBe(resolveIn(OWN.packages, at, dep));
        if (!reached.has(to)) {
          reached.add(to);
          walk(to);
        }
      }
    };
    walk('');
    expect([...reached].sort()).toEqual(
      Object.keys(lock.packages)
        .filter((k) => k !== '')
        .sort(),
    );
  });

  it('marks the build-only packages dev, so that npm ci --omit=dev leaves them out of the image', () => {
    for (const dep of Object.keys(pkg.devDependencies)) expect(lock.packages[`node_modules/${dep}`].dev, dep).toBe(true);
    for (const dep of Object.keys(pkg.dependencies)) expect(lock.packages[`node_modules/${dep}`].dev, dep).toBeUndefined();
  });
});

describe("a package Pipewright's lock does not hold", () => {
  it('stops the generation with PW095 naming the package, not a stack trace', () => {
    const own = structuredClone(OWN);
    delete own.packages['node_modules/pg-pool'];
    const out = generated('order-validation', { ...nodeAssets(), lockfile: JSON.stringify(own) });
    expect(out.files).toBeNull();
    expect(out.problems.map((x) => x.code)).toEqual(['PW095']);
    expect(out.problems[0].message).toContain("pg-pool, which pg@8.23.1 depends on, is not in Pipewright's package-lock.json");
  });

  it('stops it too when the version package.json pins is not the one in the lock', () => {
    const own = structuredClone(OWN);
    own.packages['node_modules/kafkajs'].version = '2.2.3';
    const out = generated('large-orders', { ...nodeAssets(), lockfile: JSON.stringify(own) });
    expect(out.problems.map((x) => `${x.code} ${x.message}`)).toEqual([
      "PW095 The generated repository's package-lock.json cannot be made: the generated package.json pins kafkajs@2.2.4, but Pipewright's package-lock.json has kafkajs@2.2.3.",
    ]);
  });
});

describe('lockfileFor on a small tree', () => {
  // a (prod) needs b, which sits nested under a in one version and at the top in another that c (dev) needs;
  // a's optional d and c's peer e (optional, absent) and p, which only b's peer edge reaches.
  const source: Lockfile = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'x', version: '1.0.0' },
      'node_modules/a': { version: '1.0.0', integrity: 'sha512-a', dependencies: { b: '^2' }, optionalDependencies: { d: '1' } },
      'node_modules/a/node_modules/b': { version: '2.0.0', integrity: 'sha512-b2', peerDependencies: { p: '1' } },
      'node_modules/b': { version: '1.0.0', integrity: 'sha512-b1', dev: true },
      'node_modules/c': {
        version: '1.0.0',
        integrity: 'sha512-c',
        dev: true,
        dependencies: { b: '^1', d: '1' },
        peerDependencies: { e: '1' },
        peerDependenciesMeta: { e: { optional: true } },
      },
      'node_modules/d': { version: '1.0.0', integrity: 'sha512-d', optional: true },
      'node_modules/p': { version: '1.0.0', integrity: 'sha512-p' },
      'node_modules/unused': { version: '1.0.0', integrity: 'sha512-u' },
    },
  };
  const lock = JSON.parse(lockfileFor({ name: 'y', version: '1.0.0', dependencies: { a: '1.0.0' }, devDependencies: { c: '1.0.0' } }, source)) as Lockfile;

  it('keeps what is reached, where it is, and leaves the rest out', () => {
    expect(Object.keys(lock.packages)).toEqual([
      '',
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/b',
      'node_modules/c',
      'node_modules/d',
      'node_modules/p',
    ]);
  });

  it("works out npm's flags again for the new root", () => {
    const flags = Object.fromEntries(Object.entries(lock.packages).map(([k, e]) => [k, FLAGS.filter((f) => e[f] === true)]));
    expect(flags).toEqual({
      '': [],
      'node_modules/a': [],
      'node_modules/a/node_modules/b': [],
      'node_modules/b': ['dev'],
      'node_modules/c': ['dev'],
      // Needed by a only as optional and by c only as dev: in neither tree alone.
      'node_modules/d': ['devOptional'],
      'node_modules/p': ['peer'],
    });
  });

  it('refuses a missing package by name', () => {
    const broken = structuredClone(source);
    delete broken.packages['node_modules/p'];
    expect(() => lockfileFor({ name: 'y', version: '1.0.0', dependencies: { a: '1.0.0' } }, broken)).toThrow(
      new LockfileError("p, which b@2.0.0 depends on, is not in Pipewright's package-lock.json", 'p'),
    );
  });
});
