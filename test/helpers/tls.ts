// A self-signed certificate made with the openssl CLI for 127.0.0.1 and localhost, and HTTPS requests that trust
// only it (node:https with `ca`), for tests of `serve --tls-cert/--tls-key` and of the clients against it.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";

export interface SelfSigned {
  cert: string;
  key: string;
  /** The certificate's PEM text. */
  pem: string;
}

export async function selfSigned(dir: string): Promise<SelfSigned> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  return { cert, key, pem: await readFile(cert, "utf8") };
}

/** One HTTPS request trusting `ca` alone; resolves with the status and the whole body. */
export function httpsRequest(url: string, ca: string, method = "GET", body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
