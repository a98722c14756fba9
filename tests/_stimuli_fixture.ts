/** Stimulus-side fixtures written by h5py + Pillow (an independent writer), and reference reads. */
import { repoPath } from "./_helpers.ts";

/** What the fixture writer reports. */
export interface StimuliFixture {
  names: string[];
  embeddingOrder: string[];
  dims: Record<string, number>;
  width: number;
  height: number;
  nMasks: number;
}

async function python(args: string[]): Promise<string> {
  const out = await new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`python failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * Writes `dataDir/stimuli/*` (default names, or `names` — e.g. a subject's
 * trial labels); `images: false` leaves out the gated images file.
 */
export async function writeStimuliFixture(
  dataDir: string,
  options: { names?: string[]; images?: boolean } = {},
): Promise<StimuliFixture> {
  const args = [
    repoPath("tests/fixtures/write_stimuli.py"),
    dataDir,
    options.names ? JSON.stringify(options.names) : "",
  ];
  if (options.images === false) args.push("--no-images");
  return JSON.parse(await python(args));
}

/** Reference reads (h5py + Pillow), see tests/fixtures/read_stimuli.py. */
export async function readStimuliReference(
  dataDir: string,
  request: { embeddings?: Record<string, string[]>; masks?: number[] } = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  return JSON.parse(
    await python([repoPath("tests/fixtures/read_stimuli.py"), dataDir, JSON.stringify(request)]),
  );
}
