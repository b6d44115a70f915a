/** A byte-count progress bar on a TTY (cli-progress); silent on a pipe and for small copies. */
import cliProgress from 'cli-progress';

export class Progress {
  #bar: cliProgress.SingleBar | null = null;
  #done = 0;

  constructor(private readonly enabled: boolean, private readonly minBytes = 4 << 20) {}

  start(total: number): void {
    if (!this.enabled || total < this.minBytes) return;
    this.#bar = new cliProgress.SingleBar(
      { format: '{bar} {percentage}% | {value}/{total} MiB', stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
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
