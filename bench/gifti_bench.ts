/**
 * Benchmark: the GIfTI XML parser (`lib/formats/xml.ts`) versus two
 * well-kept npm XML parsers that do not expand entities, on realistic
 * GIfTI files.
 *
 * Run:
 *   deno run --allow-read=/tmp --allow-write=/tmp --allow-run=/usr/bin/python3,/usr/bin/time bench/gifti_bench.ts [--reps 7]
 *
 * Set-up: /usr/bin/python3 + nibabel writes, in each encoding (`ASCII`,
 * `Base64Binary`, `GZipBase64Binary`), an ROI mask (1 float32 array of
 * 163,842 vertices, fsaverage's count, 4,000 ones) and a map (4 float32
 * arrays of 163,842 normal values), as nibabel writes them (DOCTYPE,
 * MetaData, LabelTable, CoordinateSystemTransformMatrix).
 *
 * Every measurement runs in its own Deno child (`--allow-read` of the
 * files only), started through GNU time for its peak RSS (`%M`: Deno
 * grants `/proc/self/status` only with --allow-all). Per file and parser:
 * a child that loads the parser and reads the file (baseline), a child that
 * also parses once (cold time; "peak MiB" is its peak RSS minus the
 * baseline's), and a child that parses 1 + `reps` times (warm median).
 * Parsers:
 *  - ours: `parseXml` (a tree of elements, attributes and text);
 *  - saxes 6.0.0: a SAX parser, building the same tree from its events
 *    (undeclared entities are errors, the DOCTYPE is not processed);
 *  - fast-xml-parser 5.12.1 with `processEntities: false` (its own object
 *    tree; it then leaves `&amp;` undecoded, so a switch would still need
 *    our entity decoding and DOCTYPE check).
 * A fourth row gives our whole `readGiftiDataArrays` (parse + decode) for
 * scale. Every parser must find the same `<Data>` text length.
 * @module
 */
import { parseArgs } from "node:util";

const PY = "/usr/bin/python3";
const TIME = "/usr/bin/time";
const PARSERS = ["ours", "saxes", "fast-xml-parser", "ours read+decode"] as const;
type ParserName = typeof PARSERS[number];

const GENERATE = String.raw`
import sys, numpy as np, nibabel as nib
out, nv = sys.argv[1], 163842
rng = np.random.default_rng(0)
for enc, name in (("ASCII", "ASCII"), ("B64BIN", "Base64Binary"), ("B64GZ", "GZipBase64Binary")):
    m = np.zeros(nv, np.float32)
    m[rng.choice(nv, 4000, replace=False)] = 1
    da = nib.gifti.GiftiDataArray(m, intent="NIFTI_INTENT_NONE", datatype="NIFTI_TYPE_FLOAT32", encoding=enc)
    nib.save(nib.gifti.GiftiImage(darrays=[da]), f"{out}/mask_{name}.func.gii")
    das = [nib.gifti.GiftiDataArray(rng.normal(size=nv).astype(np.float32),
                                    datatype="NIFTI_TYPE_FLOAT32", encoding=enc) for _ in range(4)]
    nib.save(nib.gifti.GiftiImage(darrays=das), f"{out}/map_{name}.func.gii")
`;

/** What a child prints. */
interface ChildResult {
  coldMs: number;
  warmMs: number;
  dataChars: number;
}

// ------------------------------------------------------------------ child

interface Tree {
  name: string;
  attrs: Record<string, string>;
  children: Tree[];
  text: string;
}

/** Total length of every `<Data>` text, the same whatever the parser. */
function dataChars(t: Tree): number {
  let n = t.name === "Data" ? t.text.length : 0;
  for (const c of t.children) n += dataChars(c);
  return n;
}

async function parserFor(name: ParserName): Promise<(xml: string, path: string) => unknown> {
  if (name === "ours") {
    const { parseXml } = await import("../lib/formats/xml.ts");
    return (xml) => parseXml(xml);
  }
  if (name === "ours read+decode") {
    const { readGiftiDataArrays } = await import("../lib/formats/gifti.ts");
    return (_xml, path) => readGiftiDataArrays(path);
  }
  if (name === "saxes") {
    const { SaxesParser } = await import("saxes");
    return (xml) => {
      const parser = new SaxesParser();
      const root: Tree = { name: "#document", attrs: {}, children: [], text: "" };
      const stack: Tree[] = [root];
      const texts: string[][] = [[]];
      parser.on("opentag", (tag) => {
        const el: Tree = {
          name: tag.name,
          attrs: tag.attributes as Record<string, string>,
          children: [],
          text: "",
        };
        stack[stack.length - 1].children.push(el);
        stack.push(el);
        texts.push([]);
      });
      parser.on("text", (t) => texts[texts.length - 1].push(t));
      parser.on("cdata", (t) => texts[texts.length - 1].push(t));
      parser.on("closetag", () => {
        stack.pop()!.text = texts.pop()!.join("");
      });
      parser.on("error", (e) => {
        throw e;
      });
      parser.write(xml).close();
      return root.children[0];
    };
  }
  const { XMLParser } = await import("fast-xml-parser");
  return (xml) =>
    new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      processEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
    }).parse(xml);
}

/** Data text length of fast-xml-parser's object tree (for the agreement check). */
function fxpDataChars(o: unknown): number {
  if (o === null || typeof o !== "object") return 0;
  let n = 0;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (k === "Data") {
      for (const d of Array.isArray(v) ? v : [v]) {
        n += typeof d === "string" ? d.length : String((d as { "#text"?: string })["#text"] ?? "")
          .length;
      }
    } else n += fxpDataChars(v);
  }
  return n;
}

async function child(
  name: ParserName,
  path: string,
  reps: number,
  baseline: boolean,
): Promise<ChildResult> {
  const parse = await parserFor(name);
  const xml = await Deno.readTextFile(path);
  if (baseline) return { coldMs: 0, warmMs: 0, dataChars: xml.length };
  let t0 = performance.now();
  const first = await parse(xml, path);
  const coldMs = performance.now() - t0;
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    await parse(xml, path);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const chars = name === "fast-xml-parser"
    ? fxpDataChars(first)
    : name === "ours read+decode"
    ? -1
    : dataChars(first as Tree);
  return { coldMs, warmMs: times[times.length >> 1] ?? coldMs, dataChars: chars };
}

// ------------------------------------------------------------------ parent

async function runChild(
  name: ParserName,
  path: string,
  reps: number,
  baseline = false,
): Promise<ChildResult & { maxRssMiB: number }> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const out = await new Deno.Command(TIME, {
    args: [
      "-f",
      "MAXRSS_KB=%M",
      "deno",
      "run",
      `--allow-read=${dir}`,
      import.meta.filename!,
      "--child",
      name,
      path,
      "--reps",
      String(reps),
      ...(baseline ? ["--baseline"] : []),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${name} on ${path} failed:\n${err}`);
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  return { ...r, maxRssMiB: Number(/MAXRSS_KB=(\d+)/.exec(err)?.[1]) / 1024 };
}

/** Cold time and peak RSS over the baseline, then the warm median. */
async function measure(name: ParserName, path: string, reps: number) {
  const base = await runChild(name, path, 0, true);
  const cold = await runChild(name, path, 0);
  const warm = await runChild(name, path, reps);
  return {
    coldMs: cold.coldMs,
    warmMs: warm.warmMs,
    peakMiB: cold.maxRssMiB - base.maxRssMiB,
    dataChars: cold.dataChars,
  };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      reps: { type: "string", default: "7" },
      baseline: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 0) throw new RangeError(`--reps must be >= 0`);
  if (values.child) {
    const path = Deno.args.find((a) => a.endsWith(".gii"))!;
    const name = values.child as ParserName;
    console.log(JSON.stringify(await child(name, path, reps, values.baseline)));
    return;
  }
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_gifti_bench_" });
  try {
    const gen = await new Deno.Command(PY, { args: ["-c", GENERATE, dir], stderr: "piped" })
      .output();
    if (!gen.success) throw new Error(new TextDecoder().decode(gen.stderr));
    console.log(`GIfTI parse, ${reps} warm repetitions per case (every run in its own child)\n`);
    console.log(
      "file".padEnd(30) + "MB".padStart(6) + "  " + "parser".padEnd(18) +
        "cold ms".padStart(9) + "warm ms".padStart(9) + "peak MiB".padStart(10) +
        "  vs ours (warm)",
    );
    for (const kind of ["mask", "map"]) {
      for (const enc of ["ASCII", "Base64Binary", "GZipBase64Binary"]) {
        const name = `${kind}_${enc}.func.gii`;
        const path = `${dir}/${name}`;
        const mb = (await Deno.stat(path)).size / 1e6;
        let ours: Awaited<ReturnType<typeof measure>> | undefined;
        for (const p of PARSERS) {
          const r = await measure(p, path, reps);
          if (p === "ours") ours = r;
          else if (r.dataChars >= 0 && r.dataChars !== ours!.dataChars) {
            throw new Error(
              `${p} found ${r.dataChars} Data chars in ${name}, ours ${ours!.dataChars}`,
            );
          }
          console.log(
            (p === "ours" ? name : "").padEnd(30) +
              (p === "ours" ? mb.toFixed(2) : "").padStart(6) +
              "  " + p.padEnd(18) + r.coldMs.toFixed(1).padStart(9) +
              r.warmMs.toFixed(1).padStart(9) + r.peakMiB.toFixed(1).padStart(10) +
              (p === "ours" ? "" : `  ${(r.warmMs / ours!.warmMs).toFixed(2)}x`),
          );
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
