/**
 * `laion-fmri encode plan | run | merge`: whole-brain voxelwise encoding as
 * an array job (Slurm, AWS Batch, Kubernetes Indexed Jobs). See docs/cluster.md.
 * @module
 */
import { dirname, join } from "node:path";
import { splitList } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import type { EmbeddingModel } from "../core/constants.ts";
import { planEncodingJob, readEncodingPlan } from "../jobs/encode_plan.ts";
import { runEncodingShard } from "../jobs/encode_shard.ts";
import { mergeEncodingJob } from "../jobs/encode_merge.ts";
import { FSAVERAGE_DENSITIES, type FsaverageDensity } from "../templates/templateflow.ts";
import { encodingMapsData } from "../jobs/encode_pictures.ts";
import { shardIndex } from "../jobs/shard_index.ts";
import { isS3Location, jobStore } from "../jobs/store.ts";

const log = (line: string) => console.error(`[${new Date().toISOString()}] ${line}`);

/**
 * The `encode` sub-command (registered in `main.ts`).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["encode", "merge", "--plan", "encode-clip"]);
 * ```
 */
export const encodeCommand: Command = {
  summary: "Whole-brain voxelwise encoding as an array job: plan | run | merge",
  usage: "laion-fmri encode plan --subject S [--subject S2 ...] [--session SES ...] --model CLIP " +
    "--out DIR [--data-dir DATA] [--shard-size 5000] [--source remote|model] [--cpus 1] " +
    "[--no-measure] [--overwrite] [--endpoint URL]\n" +
    "       laion-fmri encode run --plan DIR [--index N] [--force] [--endpoint URL]\n" +
    "       laion-fmri encode merge --plan DIR [--endpoint URL] [--fsaverage fsaverage5|fsaverage6|fsaverage|none]\n" +
    "         [--no-pictures]\n" +
    "  DIR is a folder or an S3 prefix (s3://bucket/prefix/, your AWS credentials; --endpoint\n" +
    "  or AWS_ENDPOINT_URL_S3 for a non-AWS S3).\n" +
    "  plan writes DIR/plan.json, DIR/encode.sbatch and DIR/merge.sbatch (submit them:\n" +
    "  job=$(sbatch --parsable DIR/encode.sbatch); sbatch --dependency=afterany:$job DIR/merge.sbatch).\n" +
    "  run takes its index from --index, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or\n" +
    "  JOB_COMPLETION_INDEX; a shard already finished for the plan is skipped.\n" +
    "  merge writes DIR/maps/ (NIfTI r, alpha, reliability; a Parquet table; the same maps on\n" +
    "  fsaverage as func.gii when the subject's FreeSurfer recon is downloaded, --fsaverage\n" +
    "  none to skip; PNGs of r over the T1w, its histogram and on fsaverage, --no-pictures to\n" +
    "  skip) or names the missing shards with the sbatch command that reruns them.",
  positionals: true,
  options: {
    subject: { type: "string", multiple: true },
    session: { type: "string", multiple: true },
    model: { type: "string" },
    out: { type: "string" },
    plan: { type: "string" },
    "data-dir": { type: "string" },
    "shard-size": { type: "string" },
    source: { type: "string" },
    cpus: { type: "string" },
    "no-measure": { type: "boolean" },
    overwrite: { type: "boolean" },
    index: { type: "string" },
    force: { type: "boolean" },
    endpoint: { type: "string" },
    fsaverage: { type: "string" },
    "no-pictures": { type: "boolean" },
  },
  async run(values, positionals = []) {
    const [action, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    const int = (flag: string, d: number) => {
      const v = values[flag];
      if (v === undefined) return d;
      if (!/^[1-9]\d*$/.test(String(v))) {
        throw new UsageError(`--${flag} must be a positive integer, got "${v}"`);
      }
      return Number(v);
    };
    const planDir = () => {
      if (typeof values.plan !== "string") {
        throw new UsageError(`encode ${action} needs --plan DIR`);
      }
      return values.plan;
    };
    // An S3 output on a non-AWS S3: its endpoint (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
    const location = values.out ?? values.plan;
    if (typeof values.endpoint === "string") {
      if (typeof location !== "string" || !isS3Location(location)) {
        throw new UsageError("--endpoint names the S3 of an s3:// --out or --plan");
      }
      jobStore(location, { endpoint: values.endpoint });
    }
    if (action === "plan") {
      const subjects = splitList(values.subject as string[] | undefined);
      if (!subjects.length) throw new UsageError("encode plan needs --subject");
      if (typeof values.model !== "string") {
        throw new UsageError("encode plan needs --model (CLIP, DINOv2, PEcore or SigLIP2)");
      }
      if (typeof values.out !== "string") throw new UsageError("encode plan needs --out DIR");
      const sessions = splitList(values.session as string[] | undefined);
      await planEncodingJob({
        subjects,
        sessions: sessions.length ? sessions : undefined,
        model: values.model as EmbeddingModel,
        outDir: values.out,
        dataDir: values["data-dir"] as string | undefined,
        shardSize: int("shard-size", 5000),
        betasSource: (values.source ?? "remote") as "remote",
        cpusPerTask: int("cpus", 1),
        measure: values["no-measure"] !== true,
        overwrite: values.overwrite === true,
        onProgress: log,
      });
      return;
    }
    if (action === "run") {
      const dir = planDir();
      const { index, from } = shardIndex(values.index as string | undefined);
      log(`encode run: shard ${index} (from ${from}) of ${dir}`);
      await runEncodingShard(dir, index, { force: values.force === true, onProgress: log });
      return;
    }
    if (action === "merge") {
      const fs = values.fsaverage ?? "fsaverage5";
      const densities = [...Object.keys(FSAVERAGE_DENSITIES), "none"];
      if (!densities.includes(String(fs))) {
        throw new UsageError(`--fsaverage must be one of ${densities.join(", ")}, got "${fs}"`);
      }
      const merged = await mergeEncodingJob(planDir(), {
        fsaverage: fs === "none" ? false : fs as FsaverageDensity,
        onProgress: log,
      });
      const pictures = values["no-pictures"] !== true;
      const plan = pictures ? await readEncodingPlan(planDir()) : undefined;
      // The plotting stack (Observable Plot, linkedom) loads only when pictures are drawn, not
      // with every command of the CLI.
      const plotting = pictures ? await import("../display/encoding_maps.ts") : undefined;
      for (const s of merged.subjects) {
        const files = [
          ...Object.values(s.niftis),
          ...Object.values(s.fsaverage?.files ?? {}).flat(),
        ];
        if (plan && plotting) {
          // An S3 plan's pictures are drawn in a temporary folder, then uploaded beside its maps.
          const s3 = isS3Location(planDir());
          const out = s3 ? await Deno.makeTempDir({ prefix: "laion-encode-png-" }) : undefined;
          try {
            const data = await encodingMapsData(planDir(), s, { plan });
            const figs = plotting.plotEncodingMaps(data);
            for (const [name, fig] of Object.entries(figs)) {
              if (!fig) continue;
              const file = `${s.subject}_model-${data.model}_stat-r_${name}.png`;
              const png = join(out ?? dirname(s.niftis.r), file);
              await fig.save(png);
              if (s3) {
                await jobStore(planDir()).write(`maps/${file}`, await Deno.readFile(png));
                files.push(jobStore(planDir()).url(`maps/${file}`));
              } else files.push(png);
            }
          } finally {
            if (out) await Deno.remove(out, { recursive: true });
          }
        }
        console.log(`${s.subject}\t${files.join("\t")}`);
      }
      console.log(merged.parquet);
      return;
    }
    throw new UsageError(
      `encode needs an action: plan, run or merge, got ${
        action === undefined ? "none" : `"${action}"`
      }`,
    );
  },
};
