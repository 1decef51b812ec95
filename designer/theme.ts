/**
 * Light and dark themes. "system" follows prefers-color-scheme and keeps
 * following it; the choice is remembered across visits.
 */
import { useSyncExternalStore } from 'react';
import { useDesigner } from './store/context.js';
import { selectTheme } from './store/selectors.js';
import type { Theme } from './store/types.js';

export const THEME_KEY = 'pipewright.theme';
// One query for the page: React asks for the scheme on every render of the canvas, a drag frame included.
let scheme: MediaQueryList | undefined;
const query = () => (scheme ??= window.matchMedia('(prefers-color-scheme: dark)'));

function subscribeScheme(cb: () => void): () => void {
  const mq = query();
  mq.addEventListener('change', cb);
  return () => mq.removeEventListener('change', cb);
}
const systemDark = () => query().matches;

export function resolveTheme(theme: Theme, dark: boolean): 'light' | 'dark' {
  return theme === 'system' ? (dark ? 'dark' : 'light') : theme;
}

export function useResolvedTheme(): 'light' | 'dark' {
  const theme = useDesigner(selectTheme);
  const dark = useSyncExternalStore(subscribeScheme, systemDark, () => false);
  return resolveTheme(theme, dark);
}

export function savedTheme(storage: Pick<Storage, 'getItem'>): Theme {
  const t = storage.getItem(THEME_KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

/**
 * The toolbar button cycles through the three themes, one click each, in the
 * order that changes what the user sees on the first click: from "system"
 * to the opposite of what the system shows, then to the other, then back.
 */
export function nextTheme(theme: Theme, systemIsDark: boolean): Theme {
  const order: Theme[] = systemIsDark ? ['system', 'light', 'dark'] : ['system', 'dark', 'light'];
  return order[(order.indexOf(theme) + 1) % order.length];
}

export const isSystemDark = () => typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-color-scheme: dark)').matches;
