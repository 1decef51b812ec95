import { describe, expect, test } from 'vitest';
import { LiveError } from './api.js';
import { PipelineSync, type Conflict, type SyncServer } from './sync.js';

/** A pipeline file on "disk" with a version per content, as the server keeps it. */
class FakeServer implements SyncServer {
  text = 'version: 1\npipeline: a\n';
  version = 'v1';
  puts: { text: string; baseVersion: string | null }[] = [];
  private n = 1;
  async pipeline() {
    return { text: this.text, version: this.version };
  }
  async savePipeline(text: string, baseVersion: string | null) {
    this.puts.push({ text, baseVersion });
    if (baseVersion !== this.version)
      throw new LiveError('The file changed on disk.', 409, undefined, { error: 'changed', text: this.text, version: this.version });
    return { version: this.writeOnDisk(text) };
  }
  writeOnDisk(text: string) {
    this.text = text;
    this.version = `v${++this.n}`;
    return this.version;
  }
}

/** The canvas: its YAML and an edit counter. */
function fakeHost() {
  const host = {
    yamlText: '',
    rev: 0,
    conflicts: [] as (Conflict | null)[],
    reports: [] as string[],
    revision: () => host.rev,
    yaml: () => host.yamlText,
    load(text: string) {
      if (text.includes('broken')) return false;
      host.yamlText = text;
      host.rev++;
      return true;
    },
    conflict: (c: Conflict | null) => void host.conflicts.push(c),
    report: (s: string, t?: string) => void host.reports.push(t ? `${s}: ${t}` : s),
    edit(text: string) {
      host.yamlText = text;
      host.rev++;
    },
  };
  return host;
}

async function started() {
  const server = new FakeServer();
  const host = fakeHost();
  const sync = new PipelineSync(server, host, 5);
  await sync.start();
  return { server, host, sync };
}

describe('PipelineSync: files stay the truth', () => {
  test('opens the file on the canvas, and loading it is not an edit to save', async () => {
    const { server, host, sync } = await started();
    expect(host.yamlText).toBe(server.text);
    expect(sync.dirty).toBe(false);
    await sync.save();
    expect(server.puts).toEqual([]);
  });

  test('an edit is written to the file against the version read, a moment after the last edit', async () => {
    const { server, host, sync } = await started();
    host.edit('pipeline: b\n');
    sync.edited();
    host.edit('pipeline: c\n');
    sync.edited();
    await new Promise((r) => setTimeout(r, 30));
    expect(server.puts).toEqual([{ text: 'pipeline: c\n', baseVersion: 'v1' }]);
    expect(server.text).toBe('pipeline: c\n');
    expect(sync.dirty).toBe(false);
    expect(host.reports).toEqual(['saved']);
  });

  test('our own write coming back as a change on disk does nothing', async () => {
    const { server, host, sync } = await started();
    host.edit('pipeline: b\n');
    await sync.save();
    const rev = host.rev;
    await sync.fileChanged(server.version);
    expect(host.rev).toBe(rev);
    expect(host.conflicts).toEqual([]);
  });

  test('a change on disk reloads the canvas when it has no unsaved edits', async () => {
    const { server, host, sync } = await started();
    server.writeOnDisk('pipeline: from-editor\n');
    await sync.fileChanged(server.version);
    expect(host.yamlText).toBe('pipeline: from-editor\n');
    expect(host.reports).toEqual(['loaded']);
    // The next edit is saved over the reloaded version, without a question.
    host.edit('pipeline: d\n');
    await sync.save();
    expect(server.text).toBe('pipeline: d\n');
    expect(host.conflicts).toEqual([]);
  });

  test('a file on disk that cannot be read is not loaded, and the next save asks instead of overwriting it', async () => {
    const { server, host, sync } = await started();
    server.writeOnDisk('broken: [');
    await sync.fileChanged(server.version);
    expect(host.yamlText).toBe('version: 1\npipeline: a\n');
    host.edit('pipeline: mine\n');
    await sync.save();
    expect(server.text).toBe('broken: [');
    expect(host.conflicts.at(-1)).toMatchObject({ theirs: 'broken: [' });
  });

  test('both changed: the change on disk asks, showing both versions, instead of reloading over the edits', async () => {
    const { server, host, sync } = await started();
    host.edit('pipeline: mine\n');
    server.writeOnDisk('pipeline: theirs\n');
    await sync.fileChanged(server.version);
    expect(host.yamlText).toBe('pipeline: mine\n');
    expect(host.conflicts).toEqual([{ mine: 'pipeline: mine\n', theirs: 'pipeline: theirs\n', version: server.version }]);
    // While the question is open nothing is written.
    await sync.save();
    expect(server.puts).toEqual([]);
  });

  test('a save that finds the file changed (409) asks; keep mine writes the canvas over the file’s version', async () => {
    const { server, host, sync } = await started();
    server.writeOnDisk('pipeline: theirs\n');
    host.edit('pipeline: mine\n');
    await sync.save();
    expect(host.conflicts).toEqual([{ mine: 'pipeline: mine\n', theirs: 'pipeline: theirs\n', version: server.version }]);
    const theirVersion = server.version;
    await sync.resolve('mine');
    expect(server.puts.at(-1)).toEqual({ text: 'pipeline: mine\n', baseVersion: theirVersion });
    expect(server.text).toBe('pipeline: mine\n');
    expect(host.conflicts.at(-1)).toBeNull();
    expect(sync.dirty).toBe(false);
  });

  test('take the file’s puts it on the canvas and writes nothing', async () => {
    const { server, host, sync } = await started();
    server.writeOnDisk('pipeline: theirs\n');
    host.edit('pipeline: mine\n');
    await sync.save();
    const puts = server.puts.length;
    await sync.resolve('theirs');
    expect(host.yamlText).toBe('pipeline: theirs\n');
    expect(server.puts.length).toBe(puts);
    expect(sync.version).toBe(server.version);
    expect(sync.dirty).toBe(false);
  });

  test('a failed save says why and stays unsaved', async () => {
    const server = new FakeServer();
    server.savePipeline = async () => {
      throw new LiveError('The file could not be written.', 500, 'Check the folder’s permissions.');
    };
    const host = fakeHost();
    const sync = new PipelineSync(server, host, 5);
    await sync.start();
    host.edit('pipeline: b\n');
    await sync.save();
    expect(host.reports).toEqual(['error: The file could not be written. Check the folder’s permissions.']);
    expect(sync.dirty).toBe(true);
  });
});
