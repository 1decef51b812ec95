/**
 * A designer's simulator worker, created on first use: one per store (the
 * simulator slice makes its own), so two designers on a page simulate
 * apart. Kept outside the store's data: the store holds data, this holds
 * the thread.
 */
import type { Command, Report } from './protocol.js';

export interface SimulatorThread {
  /** Send a command; `reports` (when given) is where the worker's reports go from now on. */
  send(command: Command, reports?: (r: Report) => void): void;
  stop(): void;
}

export function simulatorThread(): SimulatorThread {
  let worker: Worker | undefined;
  let onReport: ((r: Report) => void) | undefined;
  return {
    send(command, reports) {
      if (reports) onReport = reports;
      if (!worker) {
        if (typeof Worker === 'undefined') return;
        worker = new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module', name: 'pipewright-simulator' });
        worker.onmessage = (e: MessageEvent<Report>) => onReport?.(e.data);
        worker.onerror = (e) => onReport?.({ type: 'error', message: e.message || 'the simulator worker failed to start' });
      }
      worker.postMessage(command);
    },
    stop() {
      worker?.terminate();
      worker = undefined;
    },
  };
}
