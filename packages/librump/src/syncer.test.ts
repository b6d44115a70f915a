import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rump_init } from './kernel.js';
import { DEFAULT_SYNC_DELAYS, SYNC_DATA, SYNC_DIR, SYNC_META, Syncer } from './syncer.js';

const T0 = 1_700_000_000_000;

describe('syncer', () => {
  it('has NetBSD’s tunables as vfs.sync.* sysctl nodes, whole seconds only', async () => {
    const k = await rump_init({ logger: () => undefined });
    expect(k.sysctl('vfs.sync.delay')).toBe(30);
    expect(k.sysctl('vfs.sync.filedelay')).toBe(30);
    expect(k.sysctl('vfs.sync.dirdelay')).toBe(15);
    expect(k.sysctl('vfs.sync.metadelay')).toBe(10);
    expect(k.sysctl('vfs.sync.filedelay', 2)).toBe(30);
    expect(k.syncer.delays.filedelay).toBe(2);
    expect(() => k.sysctl('vfs.sync.metadelay', -1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => k.sysctl('vfs.sync.metadelay', 1.5)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => k.sysctl('vfs.sync.metadelay', 'soon')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(k.syncer.running).toBe(true);
    k.halt();
    expect(k.syncer.running).toBe(false);
  });

  it('starts a pass only once the oldest change of a kind is older than its delay (capped by vfs.sync.delay)', () => {
    const steps: string[] = [];
    const s = new Syncer(() => steps.push('sync'), () => undefined);
    expect(s.dueAt()).toBeUndefined();
    s.tick(T0 + 3_600_000);
    expect(steps).toEqual([]); // nothing dirty: nothing runs
    const now = Date.now();
    s.dirty(SYNC_DATA);
    s.dirty(SYNC_DATA); // the oldest change counts
    const due = s.dueAt() as number;
    expect(due - now).toBeGreaterThanOrEqual(DEFAULT_SYNC_DELAYS.filedelay * 1000);
    expect(due - now).toBeLessThan(DEFAULT_SYNC_DELAYS.filedelay * 1000 + 1000);
    s.dirty(SYNC_META); // metadata is due sooner
    expect((s.dueAt() as number) - now).toBeLessThan(DEFAULT_SYNC_DELAYS.metadelay * 1000 + 1000);
    s.tick(now + 5_000);
    expect(steps).toEqual([]);
    s.tick(now + DEFAULT_SYNC_DELAYS.metadelay * 1000 + 1000);
    expect(steps).toEqual(['sync']);
    expect(s.passes).toBe(1);
    expect(s.isDirty).toBe(false);
    s.setDelay('delay', 2);
    s.dirty(SYNC_DIR);
    expect((s.dueAt() as number) - Date.now()).toBeLessThanOrEqual(2000);
  });

  it('runs a pass in bounded steps: what does not fit the budget continues on later turns of the event loop', async () => {
    const ran: number[] = [];
    const s = new Syncer(() => undefined, () => undefined);
    s.budgetMs = 0; // every step uses up the budget: one step per turn
    s.setWork(() => Array.from({ length: 6 }, (_, i) => () => void ran.push(i)));
    s.start();
    try {
      s.dirty(SYNC_DATA);
      s.tick(Date.now() + 3_600_000);
      expect(ran).toEqual([0]);
      expect(s.busy).toBe(true);
      let turns = 0;
      for (; turns < 20 && s.busy; turns++) await new Promise((r) => setImmediate(r));
      expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
      expect(turns).toBeGreaterThanOrEqual(5);
      expect(s.passes).toBe(1);
    } finally {
      s.stop();
    }
  });

  it('a failing step is reported and leaves the change dirty for the next pass', () => {
    const lines: string[] = [];
    const s = new Syncer(() => undefined, (l) => lines.push(l));
    s.setWork(() => [
      () => {
        throw new Error('EIO: device went away');
      },
    ]);
    s.dirty(SYNC_META);
    s.tick(Date.now() + 3_600_000);
    expect(lines).toEqual(['syncer: EIO: device went away']);
    expect(s.errors).toBe(1);
    expect(s.isDirty).toBe(true);
  });

  it('never keeps a process alive, and a kernel left running is halted at exit', () => {
    // A script that boots a kernel with the syncer running and simply ends: it must exit (not hang
    // on the timer) and its kernel must have been halted (syncOnExit) by the 'exit' listener.
    const entry = join(import.meta.dirname, '..', 'dist', 'index.js');
    const script = `
      const { rump_init } = await import(${JSON.stringify(entry)});
      const k = await rump_init({ logger: (l) => process.stdout.write(l + '\\n'), verbose: true });
      k.syncer.dirty(0);
      process.on('exit', () => process.stdout.write('halted=' + k.halted + '\\n'));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('rump kernel halted');
    expect(r.stdout).toContain('halted=true');
  });

  it('syncer: false and syncOnExit: false leave both off', async () => {
    const k = await rump_init({ syncer: false, syncOnExit: false, logger: () => undefined });
    expect(k.syncer.running).toBe(false);
    expect(k.syncOnExit).toBe(false);
    k.halt();
  });

  it('sync(2) leaves nothing for the syncer', async () => {
    const k = await rump_init({ logger: () => undefined });
    k.syncer.dirty(SYNC_DATA);
    expect(k.syncer.isDirty).toBe(true);
    // Without a vfs faction sync(2) is ENOSYS, and the change stays dirty.
    expect(() => k.proc.sync()).toThrow(expect.objectContaining({ code: 'ENOSYS' }));
    expect(k.syncer.isDirty).toBe(true);
    k.halt();
    expect(k.syncer.isDirty).toBe(false);
  });
});
