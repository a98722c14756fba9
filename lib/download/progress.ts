/**
 * One live progress bar for a whole download, on stderr, only on a
 * terminal (not under `CI`, not when quiet); cleared at the end.
 * @module
 */
import { readEnv } from "../core/permissions.ts";
import type { TransferProgress } from "./transfer/options.ts";

/**
 * Progress of a download, as given to `onProgress`.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * import { type DownloadProgress } from "@laion/fmri/download";
 * const show = (p: DownloadProgress) => console.log(`${p.doneFiles}/${p.totalFiles}`, p.etaSeconds);
 * await download({ subject: "01", acceptLicense: true, quiet: true, onProgress: show });
 * ```
 */
export interface DownloadProgress extends TransferProgress {
  /** Receive rate over the last seconds, in bytes per second. */
  bytesPerSecond: number;
  /** Estimated seconds left, when a rate is known. */
  etaSeconds?: number;
}

/**
 * Formats a byte count: `1.5 MB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./progress.ts";
 * formatBytes(1_500_000); // "1.5 MB"
 * ```
 */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** Whether a live bar may be drawn: stderr is a terminal, `CI` is unset, not quiet. */
export function barEnabled(quiet?: boolean): boolean {
  if (quiet) return false;
  const ci = readEnv("CI");
  if (ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false") return false;
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Turns raw transfer counters into rate and ETA, forwards them to a
 * callback, and draws the bar (at most 10 times a second) when enabled.
 *
 * @example
 * ```ts
 * import { ProgressReporter } from "./progress.ts";
 * const reporter = new ProgressReporter({ bar: false, onProgress: (p) => console.log(p.doneBytes) });
 * reporter.update({ totalFiles: 1, doneFiles: 0, totalBytes: 10, doneBytes: 5, receivedBytes: 5 });
 * reporter.finish();
 * ```
 */
export class ProgressReporter {
  #bar: boolean;
  #onProgress?: (p: DownloadProgress) => void;
  #samples: { t: number; bytes: number }[] = [];
  #lastDraw = 0;
  #drawn = false;
  #encoder = new TextEncoder();
  #last?: DownloadProgress;

  /** Creates an instance. @param options `bar`: draw on stderr; `onProgress`: receives every update */
  constructor(options: { bar: boolean; onProgress?: (p: DownloadProgress) => void }) {
    this.#bar = options.bar;
    this.#onProgress = options.onProgress;
  }

  /** The latest progress. */
  get last(): DownloadProgress | undefined {
    return this.#last;
  }

  /** Takes new counters. */
  update(p: TransferProgress): void {
    const now = performance.now();
    this.#samples.push({ t: now, bytes: p.receivedBytes });
    while (this.#samples.length > 2 && now - this.#samples[0].t > 5000) this.#samples.shift();
    const first = this.#samples[0];
    const dt = (now - first.t) / 1000;
    const rate = dt > 0.2 ? (p.receivedBytes - first.bytes) / dt : 0;
    const left = p.totalBytes - p.doneBytes;
    const progress: DownloadProgress = {
      ...p,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? left / rate : undefined,
    };
    this.#last = progress;
    try {
      this.#onProgress?.(progress);
    } catch {
      // a failing callback must not break the download
    }
    if (this.#bar && (now - this.#lastDraw > 100 || p.doneFiles === p.totalFiles)) {
      this.#lastDraw = now;
      this.#draw(progress);
    }
  }

  #draw(p: DownloadProgress): void {
    const width = 24;
    const frac = p.totalBytes > 0 ? Math.min(1, p.doneBytes / p.totalBytes) : 1;
    const full = Math.round(frac * width);
    const line = `[${"#".repeat(full)}${"-".repeat(width - full)}] ${
      (frac * 100).toFixed(0).padStart(3)
    }% ${formatBytes(p.doneBytes)}/${
      formatBytes(p.totalBytes)
    }  ${p.doneFiles}/${p.totalFiles} files  ${formatBytes(p.bytesPerSecond)}/s  ETA ${
      p.etaSeconds === undefined ? "?" : formatSeconds(p.etaSeconds)
    }`;
    let columns = 100;
    try {
      columns = Deno.consoleSize().columns || 100;
    } catch {
      // not a terminal size
    }
    this.#write(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`);
    this.#drawn = true;
  }

  #write(text: string): void {
    try {
      Deno.stderr.writeSync(this.#encoder.encode(text));
    } catch {
      this.#bar = false;
    }
  }

  /** Clears the bar. */
  finish(): void {
    if (this.#drawn) this.#write("\r\x1b[2K");
    this.#drawn = false;
  }
}
