/**
 * The one simulator worker of the page, created on first use. Kept outside
 * the store: the store holds data, this holds the thread.
 */
import type { Command, Report } from './protocol.js';

let worker: Worker | undefined;
let onReport: ((r: Report) => void) | undefined;

export function sendToWorker(command: Command, reports?: (r: Report) => void): void {
  if (reports) onReport = reports;
  if (!worker) {
    if (typeof Worker === 'undefined') return;
    worker = new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module', name: 'pipewright-simulator' });
    worker.onmessage = (e: MessageEvent<Report>) => onReport?.(e.data);
    worker.onerror = (e) => onReport?.({ type: 'error', message: e.message || 'the simulator worker failed to start' });
  }
  worker.postMessage(command);
}

export function stopWorker(): void {
  worker?.terminate();
  worker = undefined;
}
