// The Subject API on a data directory made from the synthetic bucket, checked
// against the generator's ground truth (scripts/synth).
import assert from "node:assert/strict";
import {
  DataNotDownloadedError,
  InvalidChoiceError,
  LaionFmriError,
  loadSubject,
  MalformedFileError,
  setWarningHandler,
  SubjectNotFoundError,
  UnknownRoiError,
} from "../mod.ts";
import { resolveSessionId } from "../lib/core/ids.ts";
import { expectedBeta, expectedNoiseCeiling } from "../scripts/generate.ts";
import { groundTruth, makeDataDir } from "./_data_dir.ts";

const dataDir = await makeDataDir();
const gt = groundTruth();
const SIZE = gt.size;
const SEED = gt.seed;

// deno-lint-ignore no-explicit-any
function roiTruth(subject: string, label: string): any {
  for (const list of Object.values(gt.subjects[subject].rois) as { label: string }[][]) {
    const hit = list.find((r) => r.label === label);
    if (hit) return hit;
  }
  throw new Error(`no ROI ${label}`);
}

function trueIndices(mask: Uint8Array): number[] {
  const out: number[] = [];
  mask.forEach((v, i) => v && out.push(i));
  return out;
}

Deno.test("loadSubject accepts sub-01 and 01; missing data says what to download", async () => {
  assert.equal((await loadSubject("sub-01", { dataDir })).subjectId, "sub-01");
  assert.equal((await loadSubject("01", { dataDir })).subjectId, "sub-01");
  await assert.rejects(() => loadSubject("sub-99", { dataDir }), (e: unknown) => {
    assert.ok(e instanceof DataNotDownloadedError);
    assert.equal(e.downloadCall, 'download({ subject: "sub-99" })');
    assert.match(e.message, /laion-fmri download --subject sub-99/);
    return true;
  });
  await assert.rejects(() => loadSubject("", { dataDir }), SubjectNotFoundError);
});

Deno.test("sessions, ROIs, categories and the brain mask match the ground truth", async () => {
  for (const subject of ["sub-01", "sub-05"]) {
    const truth = gt.subjects[subject];
    const sub = await loadSubject(subject, { dataDir });
    const publicSessions = Object.entries(truth.sessions)
      .filter(([, s]) => !(s as { heldOut: boolean }).heldOut).map(([k]) => k).sort();
    assert.deepEqual(await sub.getSessions(), publicSessions);
    assert.equal(await sub.getNVoxels(), truth.nBrainVoxels);
    const strict = await loadSubject(subject, { dataDir, nanInMask: false });
    assert.equal(await strict.getNVoxels(), truth.nBrainVoxels - truth.nBrainNaN);
    const rois = (Object.values(truth.rois) as { label: string }[][]).flat().map((r) => r.label);
    assert.deepEqual(await sub.getAvailableRois(), [...new Set(rois)].sort());
    assert.deepEqual(await sub.getAvailableCategories(), Object.keys(truth.rois).sort());
    assert.deepEqual(
      await sub.getAvailableRois({ category: "face" }),
      truth.rois.face.map((r: { label: string }) => r.label).sort(),
    );
    await assert.rejects(() => sub.getAvailableRois({ category: "faces" }), InvalidChoiceError);
  }
});

Deno.test("ROI masks are the ground truth's in-brain indices; unions follow the grammar", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const ffa1 = roiTruth("sub-01", "FFA1");
  assert.deepEqual(trueIndices(await sub.getRoiMask("FFA1")), ffa1.brainIndices);
  const face = new Set<number>();
  for (const r of gt.subjects["sub-01"].rois.face) for (const i of r.brainIndices) face.add(i);
  assert.deepEqual(trueIndices(await sub.getRoiMask("face")), [...face].sort((a, b) => a - b));
  const eba = roiTruth("sub-01", "EBA");
  const mixed = new Set([...face, ...eba.brainIndices]);
  assert.deepEqual(
    trueIndices(await sub.getRoiMask(["face", "EBA"])),
    [...mixed].sort((a, b) => a - b),
  );
  const masks = await sub.getRoiMasks(["FFA1", "face"]);
  assert.deepEqual([...masks.keys()], ["FFA1", "face"]);
  await assert.rejects(() => sub.getRoiMask("FFA9"), (e: unknown) => {
    assert.ok(e instanceof UnknownRoiError);
    assert.match(e.message, /'FFA9'/);
    assert.match(e.message, /'FFA1'/);
    assert.match(e.message, /'retinotopy'/);
    return true;
  });
});

Deno.test("getBetaMatrix: C-order voxels, NaN kept, int16 scaled, rows = trials", async () => {
  for (const subject of ["sub-01", "sub-05"]) {
    const sub = await loadSubject(subject, { dataDir });
    const truth = gt.subjects[subject];
    const m = await sub.getBetaMatrix({ session: "ses-01" });
    assert.deepEqual(m.shape, [truth.sessions["ses-01"].nTrials, truth.nBrainVoxels]);
    const voxels = await m.voxels();
    assert.deepEqual(voxels.columns, ["brain_index", "i", "j", "k"]);
    const i = voxels.getColumn("i").toArray() as number[];
    const j = voxels.getColumn("j").toArray() as number[];
    const k = voxels.getColumn("k").toArray() as number[];
    for (const t of [0, 7, m.shape[0] - 1]) {
      const row = m.row(t);
      for (let c = 0; c < m.shape[1]; c++) {
        const want = expectedBeta(subject, "ses-01", t, i[c], j[c], k[c], SIZE, SEED);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(row[c]), `${subject} t${t} c${c} NaN`);
        else assert.equal(row[c], Math.fround(want), `${subject} t${t} voxel ${c}`);
      }
    }
    if (truth.betaDatatype === "float32") {
      for (const b of truth.brainNaNIndices) assert.ok(Number.isNaN(m.row(0)[b]));
    }
  }
});

Deno.test("getBetas: a DataFrame of the trial columns plus fixed-width Float32 betas", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const df = await sub.getBetas({ session: "ses-01", roi: "FFA1" });
  const n = roiTruth("sub-01", "FFA1").nVoxelsInBrain;
  assert.deepEqual(df.columns, ["session", "run", "beta_index", "label", "betas"]);
  assert.equal(df.height, gt.subjects["sub-01"].sessions["ses-01"].nTrials);
  assert.equal(
    String(df.getColumn("betas").dtype),
    `DataType(FixedSizeList(DataType(Float32),${n}))`,
  );
  assert.equal(String(df.getColumn("run").dtype), "DataType(Int64)");
  const m = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
  const back = df.getColumn("betas").toArray()[3] as unknown as ArrayLike<number>;
  assert.deepEqual(Array.from(back), Array.from(m.row(3)));
  assert.deepEqual(
    df.getColumn("label").toArray(),
    gt.subjects["sub-01"].sessions["ses-01"].labels,
  );
  const many = await sub.getBetas({ sessions: ["ses-01", "ses-02"], roi: "face" });
  assert.deepEqual([...many.keys()], ["ses-01", "ses-02"]);
});

Deno.test("getBetaMatrix with sessions: a Map per session, no endless recursion", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const many = await sub.getBetaMatrix({ sessions: ["ses-01", "ses-02"], roi: "FFA1" });
  assert.deepEqual([...many.keys()], ["ses-01", "ses-02"]);
  const one = await sub.getBetaMatrix({ session: "ses-02", roi: "FFA1" });
  assert.deepEqual(many.get("ses-02")!.shape, one.shape);
  assert.deepEqual(Array.from(many.get("ses-02")!.row(0)), Array.from(one.row(0)));
});

Deno.test("getBetas built chunk by chunk equals the raw matrix, with and without a trial filter", async () => {
  const sub = await loadSubject("sub-05", { dataDir });
  for (const stimuli of [undefined, "shared", "unique"] as const) {
    const m = await sub.getBetaMatrix({ session: "ses-02", roi: "all", stimuli });
    for (const chunkRows of [1, 5, 1000]) {
      const df = await sub.getBetas({ session: "ses-02", roi: "all", stimuli, chunkRows });
      assert.equal(df.height, m.shape[0]);
      assert.deepEqual(df.getColumn("label").toArray(), m.trials.getColumn("label").toArray());
      const rows = df.getColumn("betas").toArray() as unknown as ArrayLike<number>[];
      rows.forEach((row, t) => assert.deepEqual(Array.from(row), Array.from(m.row(t)), `row ${t}`));
    }
  }
});

Deno.test("getBetas: stimuli filter, ncThreshold in percent, roi/mask exclusive", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const ses = gt.subjects["sub-01"].sessions["ses-01"];
  const shared = await sub.getBetaMatrix({ session: "ses-01", stimuli: "shared" });
  assert.equal(shared.shape[0], ses.nShared);
  const labels = shared.trials.getColumn("label").toArray() as string[];
  assert.ok(labels.every((l) => l.startsWith("shared_")));
  const unique = await sub.getBetaMatrix({ session: "ses-01", stimuli: "unique" });
  assert.equal(unique.shape[0], ses.nTrials - ses.nShared);
  const all = await sub.getBetaMatrix({ session: "ses-01" });
  const firstShared = (all.trials.getColumn("label").toArray() as string[])
    .findIndex((l) => l.startsWith("shared_"));
  assert.deepEqual(shared.row(0), all.row(firstShared));
  await assert.rejects(
    () => sub.getBetaMatrix({ session: "ses-01", stimuli: "both" as "shared" }),
    /Unknown stimuli "both"/,
  );
  // ncThreshold keeps voxels whose per-session NC (percent) >= threshold.
  const brain = await sub.getBrainMask();
  let expected = 0;
  brain.forEach((v, f) => {
    if (v && expectedNoiseCeiling(SIZE, SEED, "sub-01", "ses-01", f) >= 40) expected++;
  });
  const nc = await sub.getBetaMatrix({ session: "ses-01", ncThreshold: 40 });
  assert.equal(nc.shape[1], expected);
  assert.ok(expected > 0 && expected < brain.length);
  const warnings: string[] = [];
  const prev = setWarningHandler((w) => warnings.push(w));
  try {
    await sub.getBetaMatrix({ session: "ses-01", ncThreshold: 0.3, roi: "FFA1" });
  } finally {
    setWarningHandler(prev);
  }
  assert.match(warnings[0], /percent/);
  await assert.rejects(
    () => sub.getBetaMatrix({ session: "ses-01", roi: "FFA1", mask: new Uint8Array(3) }),
    /mutually exclusive/,
  );
  await assert.rejects(
    () => sub.getBetaMatrix({ session: "ses-01", mask: new Uint8Array(3) }),
    /expected \d+/,
  );
  await assert.rejects(() => sub.getBetaMatrix({ session: "" }), LaionFmriError);
});

Deno.test("empty or impossible selections are refused; a legal threshold that keeps nothing warns", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const n = await sub.getNVoxels();
  // Before: each of these returned a silent [n, 0] matrix.
  await assert.rejects(() => sub.getBetaMatrix({ session: "ses-01", roi: [] }), RangeError);
  await assert.rejects(() => sub.getNoiseCeiling({ session: "ses-01", roi: [] }), /roi: \[\]/);
  await assert.rejects(
    () => sub.getBetaMatrix({ session: "ses-01", mask: new Uint8Array(n) }),
    (e: Error) => e instanceof RangeError && /mask selects no voxel/.test(e.message),
  );
  for (const t of [-1, NaN, 100.5, 1000]) {
    await assert.rejects(
      () => sub.getBetaMatrix({ session: "ses-01", ncThreshold: t }),
      (e: Error) => e instanceof RangeError && e.message.includes(`got ${t}`),
    );
  }
  await assert.rejects(
    () => sub.getBetas({ session: "ses-01", ncThreshold: "40" as unknown as number }),
    TypeError,
  );
  const warnings: string[] = [];
  const prev = setWarningHandler((w) => warnings.push(w));
  try {
    const m = await sub.getBetaMatrix({ session: "ses-01", ncThreshold: 100, roi: "FFA1" });
    assert.equal(m.shape[1], 0);
  } finally {
    setWarningHandler(prev);
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /ncThreshold=100 selects no voxel/);
});

Deno.test("getRoiData: upstream's nested shape, formats and hemispheres", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const truth = roiTruth("sub-01", "FFA1");
  const data = await sub.getRoiData("FFA1", { format: "all", hemi: "all" });
  assert.deepEqual(Object.keys(data), ["FFA1"]);
  assert.deepEqual(trueIndices(data.FFA1.volume!), truth.brainIndices);
  for (const h of ["L", "R"] as const) {
    const hemi = data.FFA1.gii![`hemi-${h}`]!;
    assert.deepEqual(trueIndices(hemi["func.gii"]!), truth.vertices[h]);
    assert.deepEqual(Array.from(hemi.label!), truth.vertices[h]);
  }
  const onlyL = await sub.getRoiData("FFA1", { format: "gii", hemi: "L" });
  assert.deepEqual(Object.keys(onlyL.FFA1), ["gii"]);
  assert.deepEqual(Object.keys(onlyL.FFA1.gii!), ["hemi-L"]);
  const funcOnly = await sub.getRoiData("FFA1", { format: "func.gii" });
  assert.equal(funcOnly.FFA1.gii!["hemi-R"]!.label, undefined);
  const volume = await sub.getRoiData("face", { format: "nii.gz", hemi: "X" });
  assert.deepEqual(
    Object.keys(volume),
    gt.subjects["sub-01"].rois.face.map((r: { label: string }) => r.label),
  );
  await assert.rejects(() => sub.getRoiData("FFA1", { format: "png" }), InvalidChoiceError);
  await assert.rejects(
    () => sub.getRoiData("FFA1", { format: "gii", hemi: "X" }),
    InvalidChoiceError,
  );
});

Deno.test("getNoiseCeiling: per session and subject-level, in percent", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const brain = await sub.getBrainMask();
  const flat: number[] = [];
  brain.forEach((v, f) => v && flat.push(f));
  const nc = await sub.getNoiseCeiling({ session: "ses-01" });
  assert.equal(nc.length, flat.length);
  flat.forEach((f, c) => {
    const want = expectedNoiseCeiling(SIZE, SEED, "sub-01", "ses-01", f);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(nc[c]));
    else assert.equal(nc[c], Math.fround(want));
  });
  const d12 = await sub.getNoiseCeiling({ desc: "Noiseceiling12rep", roi: "FFA1" });
  assert.equal(d12.length, roiTruth("sub-01", "FFA1").nVoxelsInBrain);
  await assert.rejects(
    () => sub.getNoiseCeiling({} as { session: string }),
    /Exactly one of `session` or `desc`/,
  );
  // A bad desc lists the valid descs (it was a download advice for a file that never exists).
  await assert.rejects(() => sub.getNoiseCeiling({ desc: "Nope" }), InvalidChoiceError);
  const bySession = await sub.getNoiseCeiling({ sessions: ["ses-01", "ses-02"], roi: "FFA1" });
  assert.deepEqual([...bySession.keys()], ["ses-01", "ses-02"]);
  assert.deepEqual(
    bySession.get("ses-01"),
    await sub.getNoiseCeiling({ session: "ses-01", roi: "FFA1" }),
  );
  const byDesc = await sub.getNoiseCeiling({ descs: ["Noiseceiling12rep", "Noiseceiling4rep"] });
  assert.deepEqual([...byDesc.keys()], ["Noiseceiling12rep", "Noiseceiling4rep"]);
  await assert.rejects(
    () => sub.getNoiseCeiling({ session: "ses-01", desc: "Noiseceiling12rep" } as never),
    /Exactly one of/,
  );
});

Deno.test("getNoiseCeiling: a bad desc lists the valid ones; an unknown ROI names the subject", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const calls = [
    () => sub.getNoiseCeiling({ desc: "Noiseceiling5rep" }),
    () => sub.getNoiseCeiling({ descs: ["Noiseceiling4rep", "x"] }),
  ];
  for (const call of calls) {
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof InvalidChoiceError);
      assert.match(e.message, /Noiseceiling12rep.*Noiseceiling4rep.*NoiseceilingAllrep/);
      return true;
    });
  }
  await assert.rejects(() => sub.getRoiMask("FFA9"), (e: unknown) => {
    assert.ok(e instanceof UnknownRoiError);
    assert.equal(e.subject, "sub-01");
    assert.match(e.message, /for sub-01: 'FFA9'/);
    return true;
  });
});

Deno.test("getTrialInfo: typed columns, beta_index restarting per run", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const trials = await sub.getTrialInfo({ session: "ses-02" });
  assert.deepEqual(trials.columns, ["session", "run", "beta_index", "label"]);
  const runs = trials.getColumn("run").toArray() as number[];
  const idx = trials.getColumn("beta_index").toArray() as number[];
  idx.forEach((b, r) => assert.equal(b, r === 0 || runs[r] !== runs[r - 1] ? 0 : idx[r - 1] + 1));
  const both = await sub.getTrialInfo({ sessions: ["ses-01", "ses-02"] });
  assert.deepEqual([...both.keys()], ["ses-01", "ses-02"]);
  await assert.rejects(() => sub.getTrialInfo({ session: "" }), /session is required/);
});

Deno.test("missing and malformed files name the file and the command that refetches it", async () => {
  const dir = await makeDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir: dir });
    await Deno.remove(sub.paths.betas("ses-02"));
    await assert.rejects(() => sub.getBetaMatrix({ session: "ses-02" }), (e: unknown) => {
      assert.ok(e instanceof DataNotDownloadedError);
      assert.equal(e.downloadCall, 'download({ subject: "sub-01", ses: "ses-02" })');
      return true;
    });
    await Deno.writeTextFile(
      sub.paths.betas("ses-01"),
      '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>',
    );
    await assert.rejects(() => sub.getBetaMatrix({ session: "ses-01" }), (e: unknown) => {
      assert.ok(e instanceof MalformedFileError);
      assert.match(e.message, /S3 error/);
      assert.match(e.message, /ses-01/);
      assert.match(e.message, /download\(\{ subject: "sub-01", ses: "ses-01"/);
      return true;
    });
    assert.equal(await sub.hasStimuli(), false);
    // A trial table cut mid-line loaded silently before; now its rows are
    // checked against the betas' volumes and the file is named.
    const tsv = sub.paths.trials("ses-03");
    const text = await Deno.readTextFile(tsv);
    await Deno.writeTextFile(tsv, text.slice(0, Math.floor(text.length / 2)));
    await assert.rejects(() => sub.getBetaMatrix({ session: "ses-03" }), (e: unknown) => {
      assert.ok(e instanceof MalformedFileError);
      assert.equal(e.path, tsv);
      assert.match(e.message, /trial rows but the betas .* have \d+ volumes/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('sessions: 1, "1", "ses-1", "ses-01" are one; held out is not public; absent lists those on disk', async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const want = await sub.getTrialInfo({ session: "ses-01" });
  for (const s of [1, "1", "ses-1", "ses-01", "01"]) {
    const got = await sub.getTrialInfo({ session: s });
    assert.equal(got.height, want.height, String(s));
    assert.deepEqual((await sub.getBetaMatrix({ session: s, roi: "FFA1" })).shape[0], want.height);
  }
  const map = await sub.getNoiseCeiling({ sessions: [1, "ses-2"], roi: "FFA1" });
  assert.deepEqual([...map.keys()], ["ses-01", "ses-02"]);
  assert.equal(resolveSessionId(7), "ses-07");
  assert.throws(() => resolveSessionId("session-1"), RangeError);
  assert.throws(() => resolveSessionId(1.5), RangeError);
  // Before: a download advice for a session that is not public.
  for (const s of ["ses-31", 34]) {
    await assert.rejects(() => sub.getBetaMatrix({ session: s }), (e: Error) => {
      assert.ok(!(e instanceof DataNotDownloadedError));
      assert.match(e.message, /held out, not public/);
      assert.doesNotMatch(e.message, /download\(/);
      return true;
    });
  }
  await assert.rejects(() => sub.getTrialInfo({ session: "ses-09" }), (e: Error) => {
    assert.ok(e instanceof DataNotDownloadedError);
    assert.match(
      e.message,
      /ses-09 of sub-01 is not on disk.*Sessions on disk: ses-01…ses-03;/,
    );
    return true;
  });
});

Deno.test("a session on disk is checked without listing the GLMsingle folder; an absent one lists it", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const listed: string[] = [];
  const readDir = Deno.readDir;
  Deno.readDir = (path: string | URL) => {
    if (String(path) === sub.paths.glmsingleDir) listed.push(String(path));
    return readDir(path);
  };
  try {
    // Before: each session check listed the folder (three times for one call with ncThreshold).
    await sub.getBetaMatrix({ session: 1, roi: "FFA1", ncThreshold: 10 });
    await sub.getTrialInfo({ session: "ses-02" });
    assert.deepEqual(listed, []);
    // The listing still names the sessions on disk in the error.
    await assert.rejects(() => sub.getTrialInfo({ session: "ses-09" }), /Sessions on disk: ses-01/);
    assert.equal(listed.length, 1);
  } finally {
    Deno.readDir = readDir;
  }
});

Deno.test("a shared cached read survives one caller's abort; each caller stops on its own", async () => {
  for (const read of ["brain", "roi"] as const) {
    const sub = await loadSubject("sub-01", { dataDir });
    const get = (signal?: AbortSignal) =>
      read === "brain" ? sub.getBrainMask({ signal }) : sub.getRoiMask("face", { signal });
    const c = new AbortController();
    const aborted = get(c.signal);
    const other = get();
    c.abort();
    await assert.rejects(aborted, (e: unknown) => (e as Error).name === "AbortError");
    const mask = await other;
    const fresh = await loadSubject("sub-01", { dataDir });
    assert.deepEqual(
      mask,
      read === "brain" ? await fresh.getBrainMask() : await fresh.getRoiMask("face"),
    );
    // The cache holds the finished read; a caller aborted up front stops at once.
    assert.deepEqual(await get(), mask);
    await assert.rejects(
      get(AbortSignal.abort()),
      (e: unknown) => (e as Error).name === "AbortError",
    );
  }
});

Deno.test("every async Subject entry point takes a signal", async () => {
  const signal = AbortSignal.abort();
  const isAbort = (e: unknown) => (e as Error).name === "AbortError";
  await assert.rejects(loadSubject("sub-01", { dataDir, signal }), isAbort);
  const sub = await loadSubject("sub-01", { dataDir });
  await assert.rejects(sub.getSessions({ signal }), isAbort);
  await assert.rejects(sub.getRoiMasks(["FFA1"], { signal }), isAbort);
  await assert.rejects(sub.getStimulusMetadata({ signal }), isAbort);
  await assert.rejects(sub.getAvailableRois({ signal }), isAbort);
  await assert.rejects(sub.getNVoxels({ signal }), isAbort);
  await assert.rejects(sub.getTrialInfo({ session: "ses-01", signal }), isAbort);
  await assert.rejects(sub.getBetaMatrix({ session: "ses-01", roi: "FFA1", signal }), isAbort);
  await assert.rejects(sub.getNoiseCeiling({ session: "ses-01", signal }), isAbort);
  await assert.rejects(sub.getVoxelCoordinates({ signal }), isAbort);
});

Deno.test("BetaMatrix and Subject print the same summary in String(), inspect and Jupyter", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const m = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
  const text = `BetaMatrix(ses-01: ${m.shape[0]} trials x ${m.shape[1]} voxels)`;
  assert.equal(String(m), text);
  assert.equal(`${m}`, text);
  assert.equal(Deno.inspect(m), text);
  const bundle = (m as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  assert.equal(bundle["text/plain"], text);
  assert.equal(String(sub), `Subject(sub-01, ${dataDir})`);
  assert.equal(Deno.inspect(sub), String(sub));
});

Deno.test("Subject and BetaMatrix are made by the library only (type-only exports)", async () => {
  const mod = await import("../mod.ts");
  assert.equal("Subject" in mod, false);
  assert.equal("BetaMatrix" in mod, false);
});

Deno.test({
  name: "cleanup",
  fn: () => Deno.remove(dataDir, { recursive: true }),
});
