/**
 * The discovery sub-commands: `subjects`, `rois`, `inspect`, and `info`
 * (the dataset, or one subject with what of it is on disk).
 * @module
 */
import {
  checkSubject,
  describe,
  getRoiInventory,
  getRois,
  getSubjects,
  inspectBucket,
} from "../bucket/discovery.ts";
import { getSubjectSessions } from "../bucket/sessions.ts";
import { DataDirNotSetError, DataNotDownloadedError } from "../core/errors.ts";
import { getDataDir } from "../local/config.ts";
import { loadSubject } from "../subject/subject.ts";
import { applyBucketFlags, BUCKET_HELP, BUCKET_OPTIONS, type Command } from "./command.ts";

/** `laion-fmri info [--subject S]`. */
export const infoCommand: Command = {
  summary: "Overview of the dataset, or of one subject with --subject",
  usage: `laion-fmri info [--subject S] [--endpoint URL] [--bucket NAME]\n${BUCKET_HELP}`,
  options: { subject: { type: "string" }, ...BUCKET_OPTIONS },
  async run(values) {
    applyBucketFlags(values);
    if (typeof values.subject !== "string") {
      await describe();
      return;
    }
    const id = await checkSubject(values.subject);
    const [sessions, inventory] = await Promise.all([
      getSubjectSessions(id),
      getRoiInventory(id),
    ]);
    console.log(`Subject: ${id}`);
    console.log(`  Sessions:  ${sessions.public.length} public (${sessions.public.join(", ")})`);
    console.log(
      `             ${sessions.heldOut.length} held out (${sessions.heldOut.join(", ")})`,
    );
    if (sessions.heldOutWithPublicMaps.length > 0) {
      console.log(
        `             public localizer maps of held-out ${
          sessions.heldOutWithPublicMaps.join(", ")
        } (oloc)`,
      );
    }
    const total = new Set([...inventory.values()].flat()).size;
    console.log(`  ROIs:      ${total} in ${inventory.size} categories`);
    for (const [category, rois] of inventory) {
      console.log(
        `    ${category.padEnd(11)}${String(rois.length).padStart(3)}  ${rois.join(", ")}`,
      );
    }
    console.log(await onDiskSummary(id));
  },
};

/** What of a subject is on disk, as printable lines. */
async function onDiskSummary(id: string): Promise<string> {
  let dataDir: string;
  try {
    dataDir = getDataDir();
  } catch (e) {
    if (e instanceof DataDirNotSetError) return "  On disk:   no data directory configured";
    throw e;
  }
  try {
    const sub = await loadSubject(id, { dataDir });
    const [sessions, rois] = await Promise.all([sub.getSessions(), sub.getAvailableRois()]);
    return `  On disk:   ${dataDir}\n` +
      `             ${sessions.length} sessions (${
        sessions.join(", ") || "none"
      }), ${rois.length} ROIs`;
  } catch (e) {
    if (e instanceof DataNotDownloadedError) return `  On disk:   nothing yet (${e.cliCommand})`;
    throw e;
  }
}

/** `laion-fmri subjects`. */
export const subjectsCommand: Command = {
  summary: "List the subjects in the bucket",
  usage: `laion-fmri subjects [--endpoint URL] [--bucket NAME]\n${BUCKET_HELP}`,
  options: { ...BUCKET_OPTIONS },
  async run(values) {
    applyBucketFlags(values);
    for (const s of await getSubjects()) console.log(s);
  },
};

/** `laion-fmri rois [--subject S] [--category C]`. */
export const roisCommand: Command = {
  summary: "List a subject's ROIs, optionally of one category",
  usage:
    `laion-fmri rois [--subject S] [--category C] [--endpoint URL] [--bucket NAME]\n${BUCKET_HELP}`,
  options: { subject: { type: "string" }, category: { type: "string" }, ...BUCKET_OPTIONS },
  async run(values) {
    applyBucketFlags(values);
    const rois = await getRois({
      subject: values.subject as string | undefined,
      category: values.category as string | undefined,
    });
    for (const r of rois) console.log(r);
  },
};

/** `laion-fmri inspect`. */
export const inspectCommand: Command = {
  summary: "Diagnostic listing of the bucket's top-level layout",
  usage: `laion-fmri inspect [--endpoint URL] [--bucket NAME]\n${BUCKET_HELP}`,
  options: { ...BUCKET_OPTIONS },
  async run(values) {
    applyBucketFlags(values);
    await inspectBucket();
  },
};
