// A real HTTP server on 127.0.0.1 laid out like the TLC's CDN: /trip-data/<tlc file name>, 404
// for any file it does not have. Files can be swapped while it runs (publish a month, fix a bad one).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface TlcServer {
  /** http://127.0.0.1:<port>/trip-data/ */
  readonly baseUrl: string;
  /** File name -> bytes served (HEAD and GET, with Content-Length). */
  readonly files: Map<string, Buffer>;
  /** Every request as `<METHOD> <file name>`. */
  readonly requests: string[];
}

/** Starts the server; closed at the test's teardown. */
export async function startTlcServer(t: Test, files: Record<string, Buffer>): Promise<TlcServer> {
  const served = new Map(Object.entries(files));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = /^\/trip-data\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? '';
    requests.push(`${req.method ?? ''} ${name}`);
    const body = served.get(name);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'last-modified': 'Mon, 18 Mar 2024 10:00:00 GMT' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => { resolve(); });
  }));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/trip-data/`, files: served, requests };
}
