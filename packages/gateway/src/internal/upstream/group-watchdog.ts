/**
 * The process-group watchdog: one tiny `/bin/sh` process per gateway process that kills the
 * gateway's stdio children when the gateway dies, however it dies (SIGKILL and out-of-memory aborts
 * included), without the gateway running any cleanup code.
 *
 * How: the watchdog runs in its own session and process group (so a terminal's SIGINT or a
 * `kill -9 -PGID` of the gateway's group does not take it down first) with its stdin a pipe from
 * the gateway and nothing else open. The gateway writes `+PGID` when it spawns a child and `-PGID`
 * once that child has exited and been reaped (so a recycled pid is never targeted). The gateway's
 * end of the pipe is close-on-exec, so no child inherits it; when the gateway dies the kernel
 * closes it, the watchdog's `read` sees EOF, and it sends SIGTERM to every group still listed, waits
 * up to its grace period for them to go, SIGKILLs what remains and exits. While idle it is blocked
 * in the shell's builtin `read` (no forks, about 1 MB of memory).
 *
 * The watchdog only lives while groups are listed: when the last one is removed the gateway closes
 * the pipe and the watchdog exits at once; the next child starts a new one. It is `unref()`ed, so
 * it never keeps the gateway's event loop alive.
 *
 * Windows has no process groups in this sense (and no `/bin/sh`): there the watchdog is a no-op.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** Registers process groups to be killed if this process dies. */
export interface GroupWatchdog {
  /** Lists a process group (the pid of a child spawned with `detached: true`); starts the watchdog process if needed. */
  add(pgid: number): void;
  /** Unlists a group, once its leader has exited and been reaped; the watchdog process exits when none is left. */
  remove(pgid: number): void;
  /** Resolves once every watchdog process told to stop (because no group was left) has exited. */
  settled(): Promise<void>;
  /** Pid of the running watchdog process, if one runs (for diagnostics and tests). */
  readonly pid: number | undefined;
}

/** Options of {@link createGroupWatchdog}. */
export interface GroupWatchdogOptions {
  /** The POSIX shell that runs the watchdog script. Default `/bin/sh`. */
  shell?: string;
  /** After the gateway died: how long the groups get between SIGTERM and SIGKILL. Default 2000 ms. */
  graceMs?: number;
  /** The platform to act for. Default `process.platform`; `win32` gives a no-op watchdog. */
  platform?: NodeJS.Platform;
}

/**
 * The watchdog's script. `$g` holds the listed groups as ` 1 2 3 `. On EOF: SIGTERM to each group,
 * then poll every 0.1 s (`kill -s 0`) for up to `ticks` polls, then SIGKILL whatever is left.
 */
export function watchdogScript(graceMs: number): string {
  const ticks = Math.max(1, Math.ceil(graceMs / 100));
  return [
    "trap '' HUP INT",
    "g=' '",
    'while read -r l; do',
    '  p=${l#?}',
    "  case $p in ''|*[!0-9]*) continue ;; esac",
    '  case $l in',
    '    +*) case $g in *" $p "*) ;; *) g="$g$p " ;; esac ;;',
    '    -*) case $g in *" $p "*) g="${g%% $p *} ${g#* $p }" ;; esac ;;',
    '  esac',
    'done',
    '[ "$g" = \' \' ] && exit 0',
    'for p in $g; do kill -s TERM -- "-$p"; done',
    'i=0',
    `while [ $i -lt ${ticks} ]; do`,
    '  a=',
    '  for p in $g; do kill -s 0 -- "-$p" && a=1; done',
    '  [ -z "$a" ] && exit 0',
    '  sleep 0.1',
    '  i=$((i + 1))',
    'done',
    'for p in $g; do kill -s KILL -- "-$p"; done',
    'exit 0',
  ].join('\n');
}

const NOOP: GroupWatchdog = {
  add() {},
  remove() {},
  settled: () => Promise.resolve(),
  pid: undefined,
};

/** The longest {@link GroupWatchdog.settled} waits for a stopping watchdog (it exits at once on EOF). */
const SETTLE_CAP_MS = 2000;

/**
 * Creates a {@link GroupWatchdog}. Nothing is spawned until the first `add`.
 *
 * If the shell cannot be spawned, the watchdog stays inert (children then still see EOF on stdin
 * when the gateway dies, which is enough for servers that exit on EOF). If the watchdog process
 * dies while groups are listed, the next `add` starts a new one and lists every group again.
 *
 * @param options - see {@link GroupWatchdogOptions} for defaults.
 * @returns the watchdog; its methods never throw.
 * @example
 * ```ts
 * const watchdog = createGroupWatchdog();
 * const child = spawn(command, args, { detached: true });
 * if (child.pid !== undefined) watchdog.add(child.pid);
 * child.once('exit', () => watchdog.remove(child.pid as number));
 * ```
 */
export function createGroupWatchdog(options: GroupWatchdogOptions = {}): GroupWatchdog {
  if ((options.platform ?? process.platform) === 'win32') return NOOP;
  const shell = options.shell ?? '/bin/sh';
  const script = watchdogScript(options.graceMs ?? 2000);
  const groups = new Set<number>();
  /** Watchdogs told to stop (no group left), until they exit. */
  const stopping = new Map<Promise<void>, ChildProcess>();
  let proc: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let broken = false;

  const send = (line: string): void => {
    const stdin = proc?.stdin;
    if (stdin === undefined || stdin === null || stdin.destroyed) return;
    stdin.write(line);
  };

  const start = (): void => {
    let child: ChildProcess;
    try {
      child = spawn(shell, ['-c', script], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
        windowsHide: true,
      });
    } catch {
      broken = true;
      return;
    }
    const gone = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const lost = (): void => {
      if (proc === child) {
        proc = undefined;
        exited = undefined;
      }
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined || error.code === 'ENOENT' || error.code === 'EACCES') broken = true;
      lost();
    });
    child.once('exit', lost);
    child.stdin?.on('error', lost); // EPIPE: the watchdog died; the next add starts another
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    proc = child;
    exited = gone;
    send([...groups].map((pgid) => `+${pgid}\n`).join(''));
  };

  return {
    add(pgid) {
      if (!Number.isSafeInteger(pgid) || pgid <= 1) return;
      groups.add(pgid);
      if (proc === undefined) {
        if (!broken) start();
      } else {
        send(`+${pgid}\n`);
      }
    },
    remove(pgid) {
      if (!groups.delete(pgid)) return;
      send(`-${pgid}\n`);
      if (groups.size === 0 && proc !== undefined) {
        const done = exited ?? Promise.resolve();
        const child = proc;
        child.stdin?.end();
        proc = undefined;
        exited = undefined;
        stopping.set(done, child);
        void done.then(() => stopping.delete(done));
      }
    },
    settled() {
      if (stopping.size === 0) return Promise.resolve();
      // Someone waits for these exits now: hold the event loop until they come (an unref'd child
      // alone would let a script whose last await is this one end with an unsettled promise).
      for (const child of stopping.values()) child.ref();
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        Promise.all(stopping.keys()).then(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, SETTLE_CAP_MS);
          timer.unref();
        }),
      ]).finally(() => clearTimeout(timer));
    },
    get pid() {
      return proc?.pid;
    },
  };
}

let shared: GroupWatchdog | undefined;

/**
 * The process-wide watchdog every `ChildProcessTransport` uses by default: one per gateway
 * process, however many pools (gateway, probes) it runs. Created on first use.
 */
export function sharedGroupWatchdog(): GroupWatchdog {
  shared ??= createGroupWatchdog();
  return shared;
}
