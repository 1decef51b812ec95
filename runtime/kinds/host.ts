/**
 * What the sinks and sources outside Kafka need from their host, typed
 * locally so that this file compiles with ES2022 alone: in Node, in the
 * browser, in the designer's in-memory type check and in every generated
 * repository, whatever packages that repository installs.
 *
 * Packages only some pipelines use (pg for the postgres sink, ajv for the
 * validate transform) are loaded on first use by a name held in a variable
 * [1]. The generated package.json lists them only when a node needs them,
 * so the vendored runtime must not import them statically.
 *
 * [1] A bundler for the browser cannot resolve such an import; the designer
 *     hands the packages it bundles over with `providePackage` instead.
 */

import { errorText } from '../errors.js';

export interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
}

export interface HostGlobals {
  fetch(url: string, init: { method: string; headers: Record<string, string>; body: string; signal: unknown }): Promise<FetchResponse>;
  AbortController: new () => { signal: unknown; abort(reason?: unknown): void };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  console: { log(...args: unknown[]): void };
  process?: { env: Record<string, string | undefined>; stdout?: { write(text: string): boolean }; versions?: { node?: string } };
}

export const host = globalThis as unknown as HostGlobals;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => host.setTimeout(resolve, ms));

/** The environment of the process, or nothing in a browser. Credentials come only from here. */
export function env(name: string): string | undefined {
  return host.process?.env[name];
}

const provided = new Map<string, () => Promise<unknown>>();

/** Make a package available without importing it by name (the designer's bundle does this for ajv). */
export function providePackage(name: string, load: () => Promise<unknown>): void {
  provided.set(name, load);
}

/**
 * Loads an optional npm package: its default export when it is CommonJS.
 * Fails with a message that says which node needs it and how to get it.
 */
export async function loadPackage<T>(name: string, neededBy: string): Promise<T> {
  const load = provided.get(name);
  let mod: { default?: unknown };
  try {
    mod = (load ? await load() : await import(/* @vite-ignore */ name)) as { default?: unknown };
  } catch (e) {
    throw new Error(
      `${neededBy} needs the npm package "${name}", which cannot be loaded (${errorText(e)}); ` +
        'generate the repository again so that its package.json lists it, then npm install',
      { cause: e },
    );
  }
  return (mod.default ?? mod) as T;
}

/** Exponential backoff with jitter, capped: attempt 1 waits about `base`, attempt 2 about 2×`base`, … */
export function backoff(base: number, attempt: number, cap = 10_000): number {
  const ms = Math.min(cap, base * 2 ** (attempt - 1));
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}
