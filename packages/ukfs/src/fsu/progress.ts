/** A byte-count progress bar on a TTY (cli-progress, loaded only then); silent on a pipe and for small copies. */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';

export class Progress {
  #bar: cliProgress.SingleBar | null = null;
  #done = 0;

  constructor(
    private readonly tty: boolean,
    private readonly minBytes = 4 << 20,
  ) {}

  /** Whether a bar can show at all (worth walking a tree for its total). */
  get enabled(): boolean {
    return this.tty;
  }

  start(total: number): void {
    if (!this.tty || total < this.minBytes) return;
    const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
    this.#bar = new bars.SingleBar(
      { format: '{bar} {percentage}% | {value}/{total} MiB', stream: process.stderr, hideCursor: true, clearOnComplete: true },
      bars.Presets.shades_classic,
    );
    this.#bar.start(Math.ceil(total / 1048576), 0);
  }

  /** Set the absolute byte count (for producers that report totals). */
  set(bytes: number): void {
    this.#done = bytes;
    this.#bar?.update(Math.floor(this.#done / 1048576));
  }

  add(bytes: number): void {
    this.#done += bytes;
    this.#bar?.update(Math.floor(this.#done / 1048576));
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
