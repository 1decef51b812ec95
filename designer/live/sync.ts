/**
 * Files stay the truth in live mode: the pipeline file on disk and the canvas are kept the same.
 * Edits are written to the file (PUT /api/pipeline, a moment after the last one, against the version
 * last read or written); a change on disk reloads the canvas when it has no unsaved edits; when both
 * changed, the user chooses (keep mine, take the file's, or see both first). No React and no DOM here:
 * the store and the server come in as functions, so the tests drive it directly.
 */
import { LiveError } from './api.js';

export const LIVE_SAVE_DELAY_MS = 500;

export interface Conflict {
  /** The canvas's pipeline as YAML when the conflict was found. */
  mine: string;
  /** The file's text and version on disk. */
  theirs: string;
  version: string;
}

export interface SyncServer {
  pipeline(): Promise<{ text: string; version: string }>;
  savePipeline(text: string, baseVersion: string | null): Promise<{ version: string }>;
}

export interface SyncHost {
  /** Bumped by every edit of the canvas. */
  revision(): number;
  /** The canvas's pipeline as YAML. */
  yaml(): string;
  /** Put the file's text on the canvas; false (and a message shown) when it cannot be read. */
  load(text: string): boolean;
  /** Both changed: ask the user (or clear the question, with null). */
  conflict(c: Conflict | null): void;
  /** Saved, loaded or failed: a short line for the status bar. */
  report(state: 'saved' | 'loaded' | 'error', text?: string): void;
}

export class PipelineSync {
  version: string | null = null;
  private savedRevision: number;
  private saving: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private open: Conflict | null = null;

  constructor(
    private readonly server: SyncServer,
    private readonly host: SyncHost,
    private readonly delayMs = LIVE_SAVE_DELAY_MS,
  ) {
    this.savedRevision = host.revision();
  }

  /** Edits since the last save or load. */
  get dirty(): boolean {
    return this.host.revision() !== this.savedRevision;
  }

  get conflict(): Conflict | null {
    return this.open;
  }

  /** Open the file on the canvas (it wins over the autosave: the file is the truth). */
  async start(): Promise<void> {
    const { text, version } = await this.server.pipeline();
    this.version = version;
    if (text.trim()) this.loadText(text);
  }

  /** The canvas changed: save a moment after the last edit. */
  edited(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.save(), this.delayMs);
  }

  /** Write the canvas to the file now, unless nothing changed or a question is open. */
  async save(): Promise<void> {
    clearTimeout(this.timer);
    if (this.saving) {
      await this.saving;
      return this.save();
    }
    if (this.open || !this.dirty) return;
    this.saving = this.put(this.host.yaml(), this.version, this.host.revision()).finally(() => (this.saving = null));
    await this.saving;
  }

  private async put(text: string, base: string | null, revision: number): Promise<void> {
    try {
      const { version } = await this.server.savePipeline(text, base);
      this.version = version;
      this.savedRevision = revision;
      this.host.report('saved');
    } catch (e) {
      if (e instanceof LiveError && e.status === 409 && typeof e.body?.text === 'string' && typeof e.body?.version === 'string') {
        this.ask({ mine: text, theirs: e.body.text, version: e.body.version });
      } else {
        this.host.report('error', e instanceof LiveError ? e.text : String(e));
      }
    }
  }

  /** The server says the file changed on disk. */
  async fileChanged(version: string): Promise<void> {
    if (version === this.version) return; // our own write
    if (this.saving) await this.saving;
    if (version === this.version) return;
    const file = await this.server.pipeline();
    if (file.version === this.version) return;
    if (this.dirty) return this.ask({ mine: this.host.yaml(), theirs: file.text, version: file.version });
    // A file that cannot be read stays unread: the next save asks before it replaces it.
    if (!this.loadText(file.text)) return;
    this.version = file.version;
    this.host.report('loaded');
  }

  /** The user's answer to a conflict. */
  async resolve(choice: 'mine' | 'theirs'): Promise<void> {
    const c = this.open;
    if (!c) return;
    this.ask(null);
    if (choice === 'theirs') {
      this.version = c.version;
      if (this.loadText(c.theirs)) this.host.report('loaded');
      return;
    }
    // Keep mine: write the canvas as it is now over the version the user saw.
    this.saving = this.put(this.host.yaml(), c.version, this.host.revision()).finally(() => (this.saving = null));
    await this.saving;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private ask(c: Conflict | null): void {
    this.open = c;
    this.host.conflict(c);
  }

  private loadText(text: string): boolean {
    const ok = this.host.load(text);
    if (ok) this.savedRevision = this.host.revision();
    return ok;
  }
}
