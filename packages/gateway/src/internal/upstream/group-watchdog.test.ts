import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, waitFor } from '../../../test/upstream/helpers.js';
import { createGroupWatchdog, watchdogScript } from './group-watchdog.js';

/** Starts a process group (leader `node`) that ignores SIGTERM when asked to; killed after the test. */
function startGroup(ignoreTerm = false): ChildProcess {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore', detached: true });
  onTestFinished(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return child;
}

describe('watchdogScript', { timeout: 20_000 }, () => {
  it('on EOF kills every listed group, SIGKILLing one that ignores SIGTERM, and spares an unlisted one', async () => {
    const polite = startGroup();
    const stubborn = startGroup(true);
    const unlisted = startGroup();
    const [a, b, c] = [polite.pid, stubborn.pid, unlisted.pid] as number[];
    const script = spawn('/bin/sh', ['-c', watchdogScript(300)], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise((resolve) => script.once('exit', resolve));
    // Malformed lines are ignored; `-c` after `+c` unlists c (its pid could be reused by then).
    script.stdin?.end(`+${a}\nnoise\n+${b}\n+${c}\n+x1\n+${b}\n-${c}\n-999999999\n`);
    expect(await exited).toBe(0);
    await waitFor(() => !isAlive(a as number) && !isAlive(b as number), 10_000, 'the listed groups to die');
    expect(isAlive(c as number)).toBe(true);
  });

  it('exits at once on EOF when no group is listed', async () => {
    const script = spawn('/bin/sh', ['-c', watchdogScript(60_000)], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise((resolve) => script.once('exit', resolve));
    const group = startGroup();
    script.stdin?.end(`+${group.pid}\n-${group.pid}\n`);
    expect(await exited).toBe(0);
    expect(isAlive(group.pid as number)).toBe(true);
  });
});

describe('createGroupWatchdog', { timeout: 20_000 }, () => {
  it('starts one watchdog process for the first group and stops it when the last group is removed', async () => {
    const watchdog = createGroupWatchdog();
    expect(watchdog.pid).toBeUndefined();
    const one = startGroup();
    const two = startGroup();
    watchdog.add(one.pid as number);
    const pid = watchdog.pid as number;
    expect(isAlive(pid)).toBe(true);
    watchdog.add(two.pid as number);
    expect(watchdog.pid).toBe(pid);
    watchdog.remove(one.pid as number);
    expect(watchdog.pid).toBe(pid);
    watchdog.remove(two.pid as number);
    expect(watchdog.pid).toBeUndefined();
    await watchdog.settled();
    expect(isAlive(pid)).toBe(false);
    // Removed groups are never killed.
    expect(isAlive(one.pid as number)).toBe(true);
    expect(isAlive(two.pid as number)).toBe(true);
  });

  it('starts a new watchdog process when the old one died', async () => {
    const watchdog = createGroupWatchdog();
    const one = startGroup();
    watchdog.add(one.pid as number);
    const first = watchdog.pid as number;
    process.kill(first, 'SIGKILL');
    await waitFor(() => watchdog.pid === undefined, 10_000, 'the watchdog death to be noticed');
    const two = startGroup();
    watchdog.add(two.pid as number);
    const second = watchdog.pid as number;
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);
    watchdog.remove(one.pid as number);
    watchdog.remove(two.pid as number);
    await watchdog.settled();
    expect(isAlive(second)).toBe(false);
  });

  it('does nothing on Windows', async () => {
    const watchdog = createGroupWatchdog({ platform: 'win32' });
    watchdog.add(startGroup().pid as number);
    expect(watchdog.pid).toBeUndefined();
    await watchdog.settled();
  });

  it('stays inert when the shell cannot be spawned', async () => {
    const watchdog = createGroupWatchdog({ shell: '/nonexistent/sh' });
    const group = startGroup();
    watchdog.add(group.pid as number);
    await waitFor(() => watchdog.pid === undefined, 10_000, 'the spawn error');
    watchdog.add(startGroup().pid as number);
    expect(watchdog.pid).toBeUndefined();
    watchdog.remove(group.pid as number);
    await watchdog.settled();
  });
});
