/**
 * A small XML tree parser for GIfTI (Deno has no `DOMParser`). It never
 * expands entities: a DOCTYPE with an internal subset (entity
 * declarations) is rejected, and only the five predefined XML entities and
 * numeric character references are decoded; any other `&name;` is an
 * error. CDATA is kept verbatim; comments and processing instructions are
 * skipped.
 * @module
 */

/** One element: its name, attributes, child elements and text content. */
export interface XmlElement {
  /** The tag name as written (prefixes kept). */
  name: string;
  /** Attribute values, entities decoded. */
  attrs: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded. */
  text: string;
}

/** A document that is not well-formed XML, or that declares entities. */
export class XmlError extends Error {
  /** Always `"XmlError"`. */
  override name = "XmlError";
}

const PREDEFINED: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&([^;&\s]*);?/g, (m, name: string) => {
    if (!m.endsWith(";")) throw new XmlError(`bare "&" in text near ${JSON.stringify(m)}`);
    if (name in PREDEFINED) return PREDEFINED[name];
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (num) {
      const code = num[1][0] === "x" ? parseInt(num[1].slice(1), 16) : parseInt(num[1], 10);
      return String.fromCodePoint(code);
    }
    throw new XmlError(`undefined entity &${name}; (entities are never expanded)`);
  });
}

/**
 * Parses an XML document into a tree and returns its root element.
 *
 * @throws {XmlError} malformed XML, a DOCTYPE internal subset or entity
 *   declaration, an undefined entity
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const root = parseXml('<a x="1"><b>t &amp; u</b></a>');
 * console.log(root.attrs.x, root.children[0].text); // "1" "t & u"
 * ```
 */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const texts: string[][] = [[]];
  let p = 0;
  const n = xml.length;
  const attrRe = /([^\s=\/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  while (p < n) {
    const lt = xml.indexOf("<", p);
    const end = lt < 0 ? n : lt;
    if (end > p) texts[texts.length - 1].push(xml.slice(p, end));
    if (lt < 0) break;
    if (xml.startsWith("<?", lt)) {
      const q = xml.indexOf("?>", lt + 2);
      if (q < 0) throw new XmlError("unterminated processing instruction");
      p = q + 2;
    } else if (xml.startsWith("<!--", lt)) {
      const q = xml.indexOf("-->", lt + 4);
      if (q < 0) throw new XmlError("unterminated comment");
      p = q + 3;
    } else if (xml.startsWith("<![CDATA[", lt)) {
      const q = xml.indexOf("]]>", lt + 9);
      if (q < 0) throw new XmlError("unterminated CDATA section");
      // Kept verbatim: mark with a sentinel so entity decoding skips it.
      texts[texts.length - 1].push("\u0000" + xml.slice(lt + 9, q));
      p = q + 3;
    } else if (xml.startsWith("<!", lt)) {
      const q = xml.indexOf(">", lt + 2);
      if (q < 0) throw new XmlError("unterminated declaration");
      const decl = xml.slice(lt, q + 1);
      if (/^<!DOCTYPE/i.test(decl) && (decl.includes("[") || /<!ENTITY/i.test(decl))) {
        throw new XmlError(
          "DOCTYPE with an internal subset (entity declarations) is not allowed; " +
            "entities are never expanded",
        );
      }
      if (/<!ENTITY/i.test(decl)) throw new XmlError("entity declarations are not allowed");
      p = q + 1;
    } else if (xml.startsWith("</", lt)) {
      const q = xml.indexOf(">", lt + 2);
      if (q < 0) throw new XmlError("unterminated end tag");
      const name = xml.slice(lt + 2, q).trim();
      const el = stack.pop();
      const parts = texts.pop()!;
      if (!el || el === root || el.name !== name) {
        throw new XmlError(`mismatched end tag </${name}>${el ? ` (open: <${el.name}>)` : ""}`);
      }
      el.text = parts.map((t) => t[0] === "\u0000" ? t.slice(1) : decodeEntities(t)).join("");
      p = q + 1;
    } else {
      // Start tag: find the closing ">" outside quotes.
      let q = lt + 1;
      let quote = "";
      for (; q < n; q++) {
        const c = xml[q];
        if (quote) {
          if (c === quote) quote = "";
        } else if (c === '"' || c === "'") quote = c;
        else if (c === ">") break;
      }
      if (q >= n) throw new XmlError("unterminated start tag");
      let body = xml.slice(lt + 1, q);
      const selfClosing = body.endsWith("/");
      if (selfClosing) body = body.slice(0, -1);
      const nameMatch = /^[^\s\/>]+/.exec(body);
      if (!nameMatch) throw new XmlError(`malformed tag at offset ${lt}`);
      const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: "" };
      attrRe.lastIndex = 0;
      const rest = body.slice(nameMatch[0].length);
      for (let m = attrRe.exec(rest); m; m = attrRe.exec(rest)) {
        el.attrs[m[1]] = decodeEntities(m[2] ?? m[3] ?? "");
      }
      stack[stack.length - 1].children.push(el);
      if (!selfClosing) {
        stack.push(el);
        texts.push([]);
      }
      p = q + 1;
    }
  }
  if (stack.length !== 1) throw new XmlError(`unclosed element <${stack[stack.length - 1].name}>`);
  const top = root.children;
  if (top.length !== 1) throw new XmlError(`expected one root element, found ${top.length}`);
  return top[0];
}

/**
 * The first child element named `name`, if any.
 *
 * @example
 * ```ts
 * import { child, parseXml } from "./xml.ts";
 * child(parseXml("<a><b/></a>"), "b")?.name; // "b"
 * ```
 */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}
