// The JSDoc examples of every published file type-check (`deno check --doc`) and import a public
// symbol the way a user would: from `@laion/fmri` or one of its subpaths, never by a relative
// path into lib/. These are the examples JSR shows; a wrong path or a renamed symbol fails here.

import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("..", import.meta.url));

/** The published .ts files: deno.json "publish.include" minus "*_test.ts". */
async function publishedFiles(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const files: string[] = [];
  async function walk(rel: string): Promise<void> {
    const abs = join(ROOT, rel);
    const info = await Deno.stat(abs).catch(() => null); // LICENSE may be absent in a checkout
    if (info === null) return;
    if (info.isFile) {
      if (rel.endsWith(".ts") && !rel.endsWith("_test.ts")) files.push(rel);
      return;
    }
    for await (const entry of Deno.readDir(abs)) {
      if (entry.name === "data" || entry.name === "node_modules") continue;
      await walk(join(rel, entry.name));
    }
  }
  for (const inc of config.publish.include as string[]) await walk(inc.replace(/\/$/, ""));
  return files.sort();
}

/** The subpath each public entry point is imported by. */
async function entryPoints(): Promise<Map<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const entries = new Map<string, string>();
  for (const [sub, file] of Object.entries(config.exports as Record<string, string>)) {
    entries.set(
      join(ROOT, file),
      sub === "." ? config.name : `${config.name}/${sub.slice(2)}`,
    );
  }
  return entries;
}

/** Every symbol a public entry point exports ("file of its declaration#name"), with the
 * specifier a user imports it by. */
async function publicNames(): Promise<Map<string, string>> {
  const entries = await entryPoints();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...entries.keys()],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<
      string,
      { symbols?: { name: string; declarations: { location: { filename: string } }[] }[] }
    >;
  };
  const names = new Map<string, string>();
  for (const [url, node] of Object.entries(doc.nodes)) {
    const spec = entries.get(fromFileUrl(url));
    if (!spec) continue;
    for (const s of node.symbols ?? []) {
      for (const d of s.declarations) {
        const key = `${fromFileUrl(d.location.filename)}#${s.name}`;
        if (!names.has(key)) names.set(key, spec);
      }
    }
  }
  return names;
}

/** The `ts` code blocks of a file's JSDoc comments, with the line each starts on. */
function examples(text: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = text.split("\n");
  let block: string[] | null = null;
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\*\s?(.*)$/.exec(lines[i]);
    if (!m) continue;
    const body = m[1];
    if (block === null && /^```(ts|typescript)?\s*$/.test(body)) {
      block = [];
      start = i + 1;
    } else if (block !== null && /^```\s*$/.test(body)) {
      found.push({ line: start, code: block.join("\n") });
      block = null;
    } else if (block !== null) block.push(body);
  }
  return found;
}

Deno.test("doc examples: every published file passes deno check --doc", async () => {
  const files = await publishedFiles();
  assert.ok(files.includes("mod.ts") && files.includes("cli.ts"), files.join(", "));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--doc", "--quiet", ...files],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  // Each error is "TSxxxx [ERROR]: message" followed (a few lines later) by
  // "at file:///…/lib/x.ts#12-20.ts:3:5", the example's comment lines.
  const bad: string[] = [];
  const re = /(TS\d+) \[ERROR\]: ([^\n]*)[\s\S]*?\n\s+at (file:\/\/\S+)/g;
  for (const m of text.matchAll(re)) {
    const where = relative(ROOT, fromFileUrl(m[3].replace(/#.*$/, "")));
    const lines = /#(\d+-\d+)/.exec(m[3])?.[1];
    bad.push(`${where}${lines ? ` (example on lines ${lines})` : ""}: ${m[1]} ${m[2]}`);
  }
  assert.ok(
    out.success,
    `deno check --doc failed on ${bad.length} example error(s):\n${bad.join("\n")}\n\n` +
      (bad.length ? "" : text),
  );
});

/** Names the entry points export only as types (`export type { X }`, `export { type X }`):
 * an example that uses one as a value (e.g. `RoiInventory.read`) has to import it by path. */
async function typeOnlyNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of (await entryPoints()).keys()) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/export\s+type\s*\{([^}]*)\}/g)) {
      for (const n of m[1].split(",")) if (n.trim()) names.add(n.trim().split(/\s+as\s+/).at(-1)!);
    }
    for (const m of text.matchAll(/export\s*\{([^}]*)\}/g)) {
      for (const t of m[1].matchAll(/\btype\s+(\w+)/g)) names.add(t[1]);
    }
  }
  return names;
}

Deno.test("doc examples: public symbols are imported from @laion/fmri, not by a relative path", async () => {
  const names = await publicNames();
  const typeOnly = await typeOnlyNames();
  assert.ok(names.size > 50, `only ${names.size} public names found`);
  const bad: string[] = [];
  for (const file of await publishedFiles()) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const ex of examples(text)) {
      const re = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*"([^"]+)"/g;
      for (const m of ex.code.matchAll(re)) {
        if (!m[3].startsWith(".")) continue;
        for (const raw of m[2].split(",")) {
          const asType = m[1] !== undefined || /^\s*type\s/.test(raw);
          const name = raw.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0];
          if (typeOnly.has(name) && !asType) continue; // used as a value: not public as one
          const target = join(ROOT, file, "..", m[3]);
          const spec = name ? names.get(`${target}#${name}`) : undefined;
          if (spec) {
            bad.push(`${file}:${ex.line}: import { ${name} } from "${spec}" (not "${m[3]}")`);
          }
        }
      }
    }
  }
  assert.deepEqual(bad, [], `examples import public symbols by relative paths:\n${bad.join("\n")}`);
});
