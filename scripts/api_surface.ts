/**
 * The public API as text: for every entry point of deno.json "exports", each exported name with
 * its kind and signature (functions: parameters and return type; classes and interfaces: their
 * public members; variables and type aliases: their type), rendered from `deno doc --json`.
 * tests/api_snapshot_test.ts compares it with the committed tests/api_snapshot.json, so a change
 * to the surface shows in review; `deno task api:snapshot` rewrites that file after a deliberate
 * change.
 *
 *   deno task api:snapshot          # rewrite tests/api_snapshot.json
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** Each entry point ("." , "./plot", …) → exported name → its lines (kind and signature). */
export type ApiSurface = Record<string, Record<string, string[]>>;

export const SNAPSHOT_PATH = "tests/api_snapshot.json";
export const UPDATE_COMMAND = "deno task api:snapshot";

// deno-lint-ignore no-explicit-any
type Json = any;

const ROOT = fromFileUrl(new URL("..", import.meta.url));

function typeParams(tps: Json[] | undefined): string {
  if (!tps?.length) return "";
  return `<${
    tps.map((t) =>
      t.name + (t.constraint ? ` extends ${type(t.constraint)}` : "") +
      (t.default ? ` = ${type(t.default)}` : "")
    ).join(", ")
  }>`;
}

function param(p: Json): string {
  switch (p.kind) {
    case "identifier":
      return `${p.name}${p.optional ? "?" : ""}${p.tsType ? `: ${type(p.tsType)}` : ""}`;
    case "assign": {
      const left = param(p.left);
      return left.includes(":") ? left.replace(":", "?:") : `${left}?`;
    }
    case "rest":
      return `...${param(p.arg)}${p.tsType ? `: ${type(p.tsType)}` : ""}`;
    default:
      return `${p.kind}${p.tsType ? `: ${type(p.tsType)}` : ""}`;
  }
}

function params(ps: Json[] | undefined): string {
  return (ps ?? []).map(param).join(", ");
}

function literal(v: Json): string {
  switch (v.kind) {
    case "string":
      return JSON.stringify(v.string);
    case "number":
      return String(v.number);
    case "boolean":
      return String(v.boolean);
    case "bigInt":
      return `${v.bigInt}n`;
    default:
      return JSON.stringify(v);
  }
}

function members(v: Json): string[] {
  const out: string[] = [];
  for (const s of v.callSignatures ?? []) {
    out.push(`${typeParams(s.typeParams)}(${params(s.params)}): ${type(s.tsType)}`);
  }
  for (const s of v.indexSignatures ?? []) {
    out.push(
      `${s.readonly ? "readonly " : ""}[${params(s.params)}]: ${type(s.tsType)}`,
    );
  }
  for (const p of v.properties ?? []) {
    out.push(
      `${p.readonly ? "readonly " : ""}${p.name}${p.optional ? "?" : ""}: ${type(p.tsType)}`,
    );
  }
  for (const m of v.methods ?? []) {
    const prefix = m.kind === "getter" ? "get " : m.kind === "setter" ? "set " : "";
    out.push(
      `${prefix}${m.name}${m.optional ? "?" : ""}${typeParams(m.typeParams)}(${
        params(m.params)
      }): ${type(m.returnType)}`,
    );
  }
  return out;
}

/** A TypeScript rendering of a deno doc type node. */
function type(t: Json): string {
  if (!t) return "unknown";
  const v = t.value;
  switch (t.kind) {
    case "keyword":
      return v;
    case "typeRef":
      return v.typeName + (v.typeParams?.length ? `<${v.typeParams.map(type).join(", ")}>` : "");
    case "union":
      return v.map(type).join(" | ");
    case "intersection":
      return v.map(type).join(" & ");
    case "array":
      return `${/[|&]/.test(type(v)) ? `(${type(v)})` : type(v)}[]`;
    case "tuple":
      return `[${v.map(type).join(", ")}]`;
    case "literal":
      return literal(v);
    case "typeOperator":
      return `${v.operator} ${type(v.tsType)}`;
    case "parenthesized":
      return `(${type(v)})`;
    case "indexedAccess":
      return `${type(v.objType)}[${type(v.indexType)}]`;
    case "typeQuery":
      return `typeof ${typeof v === "string" ? v : JSON.stringify(v)}`;
    case "fnOrConstructor":
      return `${v.constructor ? "new " : ""}${typeParams(v.typeParams)}(${params(v.params)}) => ${
        type(v.tsType)
      }`;
    case "typeLiteral":
      return `{ ${members(v).join("; ")} }`;
    case "conditional":
      return `${type(v.checkType)} extends ${type(v.extendsType)} ? ${type(v.trueType)} : ${
        type(v.falseType)
      }`;
    case "optional":
      return `${type(v)}?`;
    case "rest":
      return `...${type(v)}`;
    case "this":
      return "this";
    case "typePredicate":
      return `${v.asserts ? "asserts " : ""}${v.param?.name ?? "this"}${
        v.type ? ` is ${type(v.type)}` : ""
      }`;
    case "mapped":
      return `{ [${v.typeParam?.name} in ${type(v.typeParam?.constraint)}]: ${type(v.tsType)} }`;
    case "infer":
      return `infer ${v.typeParam?.name}`;
    case "importType":
      return `import(${JSON.stringify(v.specifier)})${v.qualifier ? `.${v.qualifier}` : ""}`;
    default:
      return t.repr || `${t.kind}:${JSON.stringify(v)}`;
  }
}

function fnSignature(name: string, f: Json): string {
  return `function ${name}${typeParams(f.typeParams)}(${params(f.params)}): ${type(f.returnType)}`;
}

/** The lines of one declaration: a header, then one line per public member. */
function declaration(name: string, d: Json): string[] {
  const def = d.def ?? {};
  switch (d.kind) {
    case "function":
      return [fnSignature(name, def)];
    case "variable":
      return [`${def.kind ?? "const"} ${name}: ${type(def.tsType)}`];
    case "typeAlias":
      return [`type ${name}${typeParams(def.typeParams)} = ${type(def.tsType)}`];
    case "enum":
      return [`enum ${name}`, ...(def.members ?? []).map((m: Json) => `  ${m.name}`)];
    case "interface":
      return [
        `interface ${name}${typeParams(def.typeParams)}${
          def.extends?.length ? ` extends ${def.extends.map(type).join(", ")}` : ""
        }`,
        ...members(def).map((m) => `  ${m}`),
      ];
    case "class": {
      const head = `${def.isAbstract ? "abstract " : ""}class ${name}${typeParams(def.typeParams)}${
        def.extends ? ` extends ${def.extends}` : ""
      }${def.implements?.length ? ` implements ${def.implements.map(type).join(", ")}` : ""}`;
      const pub = (m: Json) => m.accessibility !== "private" && m.accessibility !== "protected";
      const lines = [head];
      for (const c of (def.constructors ?? []).filter(pub)) {
        lines.push(`  constructor(${params(c.params)})`);
      }
      for (const p of (def.properties ?? []).filter(pub)) {
        lines.push(
          `  ${p.isStatic ? "static " : ""}${p.readonly ? "readonly " : ""}${p.name}${
            p.optional ? "?" : ""
          }: ${type(p.tsType)}`,
        );
      }
      for (const s of def.indexSignatures ?? []) {
        lines.push(`  [${params(s.params)}]: ${type(s.tsType)}`);
      }
      for (const m of (def.methods ?? []).filter(pub)) {
        const prefix = m.kind === "getter" ? "get " : m.kind === "setter" ? "set " : "";
        const f = m.functionDef ?? {};
        lines.push(
          `  ${m.isStatic ? "static " : ""}${prefix}${m.name}${m.optional ? "?" : ""}${
            typeParams(f.typeParams)
          }(${params(f.params)}): ${type(f.returnType)}`,
        );
      }
      return lines;
    }
    case "namespace":
      return [`namespace ${name}`];
    default:
      return [`${d.kind} ${name}`];
  }
}

/** The surface of every entry point in deno.json "exports", from `deno doc --json` (run with
 * `deno`, by default the binary running this). */
export async function apiSurface(root = ROOT, deno = Deno.execPath()): Promise<ApiSurface> {
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const exportsMap = config.exports as Record<string, string>;
  const out = await new Deno.Command(deno, {
    args: ["doc", "--json", ...Object.values(exportsMap)],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno doc --json failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const byFile = new Map<string, Json>();
  for (const [url, node] of Object.entries(doc.nodes as Record<string, Json>)) {
    byFile.set(fromFileUrl(url), node);
  }
  // A symbol exported by several entry points is declared in full once; the others carry a
  // "reference" to its location, resolved here so that each entry renders the same way alone.
  const full = new Map<string, Json>();
  for (const node of byFile.values()) {
    for (const s of node.symbols ?? []) {
      for (const d of s.declarations) {
        if (d.kind !== "reference") {
          full.set(`${s.name}@${d.location.filename}:${d.location.line}`, d);
        }
      }
    }
  }
  const resolve = (name: string, d: Json): Json => {
    if (d.kind !== "reference") return d;
    const t = d.def.target;
    const found = full.get(`${name}@${t.filename}:${t.line}`);
    if (!found) {
      throw new Error(`cannot resolve the re-export of ${name} (${t.filename}:${t.line})`);
    }
    return found;
  };
  const surface: ApiSurface = {};
  for (const [sub, file] of Object.entries(exportsMap).sort(([a], [b]) => a.localeCompare(b))) {
    const node = byFile.get(join(root, file));
    if (!node) throw new Error(`deno doc gave nothing for ${sub} (${file})`);
    const names: Record<string, string[]> = {};
    for (const s of [...node.symbols].sort((a: Json, b: Json) => a.name.localeCompare(b.name))) {
      names[s.name] = s.declarations
        .filter((d: Json) => d.declarationKind !== "private")
        .flatMap((d: Json) => declaration(s.name, resolve(s.name, d)));
    }
    surface[sub] = names;
  }
  return surface;
}

/** Readable differences between two surfaces ("+" added, "-" removed, "~" changed lines). */
export function surfaceDiff(before: ApiSurface, after: ApiSurface): string[] {
  const out: string[] = [];
  const entries = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const e of entries) {
    const a = before[e], b = after[e];
    if (!a) {
      out.push(`+ entry point ${e} (${Object.keys(b).length} names)`);
      continue;
    }
    if (!b) {
      out.push(`- entry point ${e} (${Object.keys(a).length} names)`);
      continue;
    }
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const n of names) {
      if (!(n in a)) out.push(`+ ${e} ${n}: ${b[n][0]}`);
      else if (!(n in b)) out.push(`- ${e} ${n}: ${a[n][0]}`);
      else if (JSON.stringify(a[n]) !== JSON.stringify(b[n])) {
        out.push(`~ ${e} ${n}:`);
        for (const l of a[n]) if (!b[n].includes(l)) out.push(`    - ${l.trim()}`);
        for (const l of b[n]) if (!a[n].includes(l)) out.push(`    + ${l.trim()}`);
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const surface = await apiSurface(ROOT, "deno"); // the task allows running `deno` only
  const path = join(ROOT, SNAPSHOT_PATH);
  const before = await Deno.readTextFile(path).then(JSON.parse, () => ({}));
  const diff = surfaceDiff(before, surface);
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(surface, null, 2) + "\n");
  await Deno.rename(tmp, path);
  const counts = Object.entries(surface).map(([e, n]) => `${e} ${Object.keys(n).length}`);
  console.log(`wrote ${SNAPSHOT_PATH}: ${counts.join(", ")}`);
  console.log(diff.length ? diff.join("\n") : "no change");
}
