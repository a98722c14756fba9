/** Shared by the benchmarks: a child under GNU time (JSON line, peak RSS), the synthetic data. */

const TIME = "/usr/bin/time";

/**
 * Runs `cmd args` under GNU time and returns the last line of its stdout
 * parsed as JSON, with `rss` set to the child's maximum resident set size
 * in bytes (Deno cannot read its own VmHWM without --allow-all).
 *
 * @throws {Error} with the child's stderr when it fails
 */
export async function runTimed<T extends { rss: number }>(cmd: string, args: string[]): Promise<T> {
  const out = await new Deno.Command(TIME, {
    args: ["-f", "MAXRSS_KB=%M", cmd, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed:\n${err}`);
  const sample: T = JSON.parse(text);
  const m = err.match(/MAXRSS_KB=(\d+)/);
  if (m) sample.rss = Number(m[1]) * 1024;
  return sample;
}

/**
 * Runs `scripts/generate.ts --out OUT ...args` (the synthetic dataset a
 * benchmark needs), with write access to `OUT` only.
 *
 * @throws {Error} when the generator fails
 */
export async function generateSynth(out: string, args: string[]): Promise<void> {
  const gen = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${out}`,
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      "scripts/generate.ts",
      ...args,
      "--out",
      out,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!gen.success) throw new Error(`scripts/generate.ts ${args.join(" ")} failed`);
}

/** Python (Pillow): an image as shown, RGB with alpha composited on grey (128, 128, 128). */
export const PY_AS_DISPLAYED = `
def as_displayed_rgb(im):
    if "A" not in im.getbands():
        return im.convert("RGB")
    bg = Image.new("RGBA", im.size, (128, 128, 128, 255))
    return Image.alpha_composite(bg, im.convert("RGBA")).convert("RGB")
`;
