// The error hierarchy: every error class a public entry point exports is a LaionFmriError (so one
// `catch` covers the library), and the missing-data ones are DataNotFoundErrors, as upstream's
// three derive from FileNotFoundError.

import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as access from "../lib/access/mod.ts";
import * as analysis from "../lib/analysis/mod.ts";
import * as bucket from "../lib/bucket/mod.ts";
import * as download from "../lib/download/mod.ts";
import * as formats from "../lib/formats/mod.ts";
import * as plot from "../lib/display/mod.ts";
import * as splits from "../lib/splits/mod.ts";
import * as stimuli from "../lib/stimuli/mod.ts";
import * as subject from "../lib/subject/mod.ts";

Deno.test("errors: every exported error class extends LaionFmriError", () => {
  const entries = {
    root,
    access,
    analysis,
    bucket,
    download,
    formats,
    plot,
    splits,
    stimuli,
    subject,
  };
  const outside: string[] = [];
  let classes = 0;
  for (const [entry, mod] of Object.entries(entries)) {
    for (const [name, value] of Object.entries(mod as Record<string, unknown>)) {
      if (typeof value !== "function" || !/Error$/.test(name)) continue;
      classes++;
      if (!(value.prototype instanceof root.LaionFmriError) && value !== root.LaionFmriError) {
        outside.push(`${entry}.${name}`);
      }
    }
  }
  assert.ok(classes >= 29, `only ${classes} error classes found`);
  assert.deepEqual(outside, []);
});

Deno.test("errors: RetryError is a LaionFmriError that keeps the last error and the attempts", () => {
  const last = new TypeError("connection reset");
  const e = new root.RetryError(last, 3);
  assert.ok(e instanceof root.LaionFmriError);
  assert.equal(e.name, "RetryError");
  assert.equal(e.cause, last);
  assert.equal(e.attempts, 3);
  assert.equal(e.message, "Failed after 3 attempts: connection reset");
});

Deno.test("errors: the missing-data errors are DataNotFoundErrors (upstream: FileNotFoundError)", () => {
  const stim = new root.StimuliNotDownloadedError("no stimuli", {
    path: "/data/stimuli/task-images_metadata.csv",
    cliCommand: "laion-fmri download-stimuli",
  });
  assert.ok(stim instanceof root.DataNotFoundError);
  assert.ok(stim instanceof root.LaionFmriError);
  assert.equal(stim.cliCommand, "laion-fmri download-stimuli");
  assert.ok(new root.NoMatchingDataError("none") instanceof root.DataNotFoundError);
  const missing = new root.DataNotDownloadedError("missing", { subject: "sub-01", ses: "ses-01" });
  assert.ok(missing instanceof root.DataNotFoundError);
});
