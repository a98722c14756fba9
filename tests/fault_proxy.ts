/**
 * A loopback HTTP proxy between the S3 client and the local RGW that injects
 * faults into chosen requests: a connection reset after N body bytes, a
 * stall, bursts of 503 SlowDown, a body cut short under correct headers, a
 * 403, and bandwidth throttling. Every request is logged.
 * @module
 */

/** A request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  /** Object key (path-style, without the bucket), or "" for bucket requests. */
  key: string;
  /** Requested first byte (from `Range: bytes=N-`), when ranged. */
  rangeStart?: number;
  /** The `If-Match` header, when sent. */
  ifMatch?: string;
  /** The status the proxy answered (after faults). */
  status?: number;
  /** The fault applied, if any. */
  fault?: FaultKind;
  /** Body bytes the proxy sent. */
  bytesSent: number;
}

/** The kinds of fault. */
export type FaultKind =
  | "reset"
  | "stall"
  | "slowdown"
  | "truncate"
  | "forbidden"
  | "range"
  | "norange"
  | "status";

/** One fault, applied to the next `times` matching requests. */
export interface Fault {
  kind: FaultKind;
  /** Which requests (default: every GET of an object). */
  match?: (r: ProxiedRequest) => boolean;
  /** reset / stall / truncate: body bytes sent first. @default 1000 */
  afterBytes?: number;
  /** stall: how long to stall (ms) before closing. @default 10000 */
  stallMs?: number;
  /** range: the (wrong) first byte announced in Content-Range of a 206. */
  wrongStart?: number;
  /** status: the HTTP status to answer (with an S3 XML error body). @default 500 */
  status?: number;
  /** Number of requests to apply it to. @default 1 */
  times?: number;
}

const FORWARD_REQUEST = ["range", "if-match", "if-none-match", "accept"];
const FORWARD_RESPONSE = [
  "content-type",
  "content-length",
  "content-range",
  "etag",
  "last-modified",
  "accept-ranges",
  "x-amz-request-id",
];

function slowDownBody(key: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>` +
    `<Message>Please reduce your request rate.</Message><Key>${key}</Key></Error>`;
}

function accessDeniedBody(key: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>` +
    `<Message>Access Denied</Message><Key>${key}</Key></Error>`;
}

/**
 * Starts a proxy to `upstream` on 127.0.0.1 (a free port).
 *
 * ```ts
 * const proxy = new FaultProxy("http://127.0.0.1:7480");
 * proxy.addFault({ kind: "reset", afterBytes: 500, match: (r) => r.key.endsWith(".nii.gz") });
 * // ... new S3Source({ endpoint: proxy.url }) ...
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly upstream: string;
  readonly requests: ProxiedRequest[] = [];
  /** Body bytes per second per response; `undefined` = unthrottled. */
  bytesPerSecond?: number;
  /** Milliseconds added before every request is forwarded (a far-away region's round trip). */
  latencyMs = 0;
  /**
   * Present every ETag as a multipart upload's (`{md5}-2`, so it is no MD5
   * of the body): in listings and response headers, mapped back in `If-Match`.
   */
  multipartEtags = false;
  #faults: (Fault & { left: number })[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #bucket: string;
  #waits = new Set<() => void>();

  /**
   * @param upstream the S3 endpoint to forward to
   * @param bucket the bucket name (to extract keys from paths)
   */
  constructor(upstream: string, bucket = "laion-fmri") {
    this.upstream = upstream.replace(/\/+$/, "");
    this.#bucket = bucket;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  /** The proxy's URL, to use as the S3 endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Adds a fault for the next matching request(s). */
  addFault(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** GET requests of object keys so far. */
  gets(): ProxiedRequest[] {
    return this.requests.filter((r) => r.method === "GET" && r.key !== "");
  }

  /** Stops the proxy (ending stalls and throttling waits at once). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const w of this.#waits) w();
    await this.#server.shutdown();
  }

  #closing = false;

  /** A wait that close() (or the body's cancellation) ends early. */
  #sleep(ms: number, own?: Set<() => void>): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waits.delete(done);
        own?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waits.add(done);
      own?.add(done);
    });
  }

  #takeFault(r: ProxiedRequest): Fault | undefined {
    const i = this.#faults.findIndex((f) =>
      f.left > 0 && (f.match ? f.match(r) : r.method === "GET" && r.key !== "")
    );
    if (i < 0) return undefined;
    const f = this.#faults[i];
    if (--f.left <= 0) this.#faults.splice(i, 1);
    return f;
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    const prefix = `/${this.#bucket}/`;
    const key = path.startsWith(prefix) && !url.searchParams.has("list-type")
      ? path.slice(prefix.length)
      : "";
    const range = req.headers.get("range")?.match(/^bytes=(\d+)-/);
    const r: ProxiedRequest = {
      method: req.method,
      key,
      rangeStart: range ? Number(range[1]) : undefined,
      ifMatch: req.headers.get("if-match") ?? undefined,
      bytesSent: 0,
    };
    this.requests.push(r);
    if (this.latencyMs > 0) await this.#sleep(this.latencyMs);
    const fault = this.#takeFault(r);
    r.fault = fault?.kind;
    if (fault?.kind === "slowdown") {
      r.status = 503;
      return new Response(slowDownBody(key), {
        status: 503,
        headers: { "content-type": "application/xml" },
      });
    }
    if (fault?.kind === "forbidden") {
      r.status = 403;
      return new Response(accessDeniedBody(key), {
        status: 403,
        headers: { "content-type": "application/xml" },
      });
    }
    if (fault?.kind === "status") {
      r.status = fault.status ?? 500;
      const code = r.status === 412 ? "PreconditionFailed" : "InternalError";
      return new Response(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Key>${key}</Key></Error>`,
        { status: r.status, headers: { "content-type": "application/xml" } },
      );
    }
    const headers = new Headers();
    for (const h of FORWARD_REQUEST) {
      let v = req.headers.get(h);
      if (v !== null && h === "if-match" && this.multipartEtags) v = v.replace(/-2"$/, '"');
      if (v !== null && !(h === "range" && fault?.kind === "norange")) headers.set(h, v);
    }
    const up = await fetch(`${this.upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body,
    });
    const out = new Headers();
    for (const h of FORWARD_RESPONSE) {
      const v = up.headers.get(h);
      if (v !== null) out.set(h, v);
    }
    r.status = up.status;
    if (this.multipartEtags) {
      const etag = out.get("etag");
      if (etag) out.set("etag", etag.replace(/^"?([0-9a-f]{32})"?$/, '"$1-2"'));
      if (key === "" && req.method === "GET" && up.body) {
        const xml = (await up.text()).replace(
          /(<ETag>(?:&quot;|")?)([0-9a-f]{32})((?:&quot;|")?<\/ETag>)/g,
          "$1$2-2$3",
        );
        out.delete("content-length");
        return new Response(xml, { status: up.status, headers: out });
      }
    }
    if (fault?.kind === "range" && up.status === 206) {
      const m = out.get("content-range")?.match(/^bytes (\d+)-(\d+)\/(\d+)$/);
      if (m) {
        const start = fault.wrongStart ?? 0;
        out.set("content-range", `bytes ${start}-${Number(m[2])}/${m[3]}`);
      }
    }
    if (!up.body || req.method === "HEAD") {
      await up.body?.cancel();
      return new Response(null, { status: up.status, headers: out });
    }
    const body = this.#shape(up.body, fault, r);
    return new Response(body, { status: up.status, headers: out });
  }

  /** The body as sent: throttled, and cut, reset or stalled by a fault. */
  #shape(
    src: ReadableStream<Uint8Array>,
    fault: Fault | undefined,
    r: ProxiedRequest,
  ): ReadableStream<Uint8Array> {
    const reader = src.getReader();
    const throttled = r.key !== "";
    const cut = fault && ["reset", "stall", "truncate"].includes(fault.kind)
      ? fault.afterBytes ?? 1000
      : Infinity;
    let sent = 0;
    let pending: Uint8Array | undefined;
    const bps = throttled ? this.bytesPerSecond : undefined;
    const start = performance.now();
    const waits = new Set<() => void>();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (sent >= cut) {
          await reader.cancel().catch(() => {});
          await this.#sleep(100, waits); // let the bytes sent so far reach the client
          if (fault!.kind === "stall") {
            await this.#sleep(fault!.stallMs ?? 10_000, waits);
            controller.error(new Error("stalled"));
          } else if (fault!.kind === "reset") {
            controller.error(new Error("connection reset by fault proxy"));
          } else {
            controller.close(); // truncate: a clean end, short of Content-Length
          }
          return;
        }
        let chunk = pending;
        pending = undefined;
        if (!chunk) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          chunk = value;
        }
        let n = Math.min(chunk.length, cut - sent);
        if (bps) n = Math.min(n, Math.max(1024, Math.floor(bps / 20)));
        if (n < chunk.length) pending = chunk.subarray(n);
        if (bps) {
          const due = start + ((sent + n) / bps) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await this.#sleep(wait, waits);
        }
        controller.enqueue(chunk.subarray(0, n));
        sent += n;
        r.bytesSent = sent;
      },
      cancel: async () => {
        for (const w of [...waits]) w();
        await reader.cancel().catch(() => {});
      },
    });
  }
}
