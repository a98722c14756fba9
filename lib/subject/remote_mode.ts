/**
 * A subject loaded for remote reads (`loadSubject(id, { betasSource:
 * "remote" })`): its betas come from the bucket's model files by range,
 * its sessions from the bucket's listing, and the small files a read needs
 * (masks, ROI folders, trial tables) are fetched on demand.
 * @module
 */
import { getSubjectSessions } from "../bucket/sessions.ts";
import { SharedCache } from "../core/abort.ts";
import { OnDemandFiles } from "../download/on_demand.ts";
import { type BetasFileSource, checkBetasSource, type ModelBetasOptions } from "./model_betas.ts";
import type { RemoteModelOptions } from "./remote_model.ts";

/** How a call's betas are read: the file source and, for `"remote"`, the bucket. */
export interface ResolvedBetasSource {
  /** The file source. */
  source: BetasFileSource;
  /** The bucket options, for `"remote"`. */
  remote?: RemoteModelOptions;
}

/**
 * The betas source of a subject and what remote reads need.
 *
 * @example
 * ```ts
 * import { BetasSourcePolicy } from "./remote_mode.ts";
 * const policy = new BetasSourcePolicy("sub-01", "/data", "remote", { bucket: "laion-fmri" });
 * console.log(policy.resolve({}).source); // "remote"
 * ```
 */
export class BetasSourcePolicy {
  /** The subject's default betas source. */
  readonly betasSource: BetasFileSource;
  /** The bucket of remote reads and on-demand fetches. */
  readonly remote: RemoteModelOptions;
  /** Fetches missing small files; set for subjects loaded remote. */
  readonly onDemand?: OnDemandFiles;
  readonly #subject: string;
  readonly #sessions = new SharedCache<string, string[]>();

  /**
   * @param subject resolved subject id
   * @param dataDir where fetched files go (the bucket's key tree)
   * @param betasSource the default source
   * @param remote bucket options of remote reads
   */
  constructor(
    subject: string,
    dataDir: string,
    betasSource: string,
    remote: RemoteModelOptions = {},
  ) {
    this.#subject = subject;
    this.betasSource = checkBetasSource(betasSource);
    this.remote = { ...remote };
    if (this.betasSource === "remote") this.onDemand = new OnDemandFiles(dataDir, this.remote);
  }

  /** Whether the subject was loaded for remote reads. */
  get isRemote(): boolean {
    return this.betasSource === "remote";
  }

  /** The public sessions the bucket lists for the subject (sorted; listed once). */
  bucketSessions(signal?: AbortSignal): Promise<string[]> {
    return this.#sessions.get(this.#subject, async () => {
      const { public: names } = await getSubjectSessions(this.#subject, {
        ...this.remote,
        signal: undefined,
      });
      return names;
    }, signal);
  }

  /**
   * A call's source: its own `betasSource` (with its `remote` options over
   * the subject's), else the subject's.
   * @throws {InvalidChoiceError} for an unknown `betasSource`
   */
  resolve(o: ModelBetasOptions): ResolvedBetasSource {
    const source = checkBetasSource(o.betasSource ?? this.betasSource);
    if (source !== "remote") return { source };
    return { source, remote: { ...this.remote, ...o.remote } };
  }
}
