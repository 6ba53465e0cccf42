// A real HTTP server on 127.0.0.1 serving one file, with faults scripted per request: the
// downloader is tested over real sockets, never against a mocked fetch.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly acceptEncoding: string | undefined;
}

/** Answers one request; `serve` is the honest behaviour, for handlers that fault only part-way. */
export type Handler = (req: IncomingMessage, res: ServerResponse, serve: () => void) => void;

export interface FileServer {
  /** http://127.0.0.1:<port>/trip-data/ */
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Handlers for the next requests, in order; once used up, requests are served honestly. */
  readonly script: Handler[];
}

export const ETAG = '"sample-v1"';
export const LAST_MODIFIED = 'Mon, 18 Mar 2024 10:00:00 GMT';

/** Starts a server for `data` at /trip-data/<fileName>; closed at the test's teardown. */
export async function startFileServer(t: Test, fileName: string, data: Buffer): Promise<FileServer> {
  const requests: SeenRequest[] = [];
  const script: Handler[] = [];
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '', url: req.url ?? '', range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined, acceptEncoding: req.headers['accept-encoding'],
    });
    const serve = (): void => { serveHonestly(req, res, fileName, data); };
    const handler = script.shift();
    if (handler) handler(req, res, serve);
    else serve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => { resolve(); });
  }));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/trip-data/`, port, requests, script };
}

/** 200, or 206/416 for `Range: bytes=N-`, as a CDN would; 404 for any other path. */
function serveHonestly(req: IncomingMessage, res: ServerResponse, fileName: string, data: Buffer): void {
  if (req.url !== `/trip-data/${fileName}`) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const headers = { etag: ETAG, 'last-modified': LAST_MODIFIED, 'accept-ranges': 'bytes' };
  const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
  if (start >= data.length && start > 0) {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${data.length}` }).end();
    return;
  }
  const body = data.subarray(start);
  if (start > 0) {
    res.writeHead(206, { ...headers, 'content-length': body.length, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
  } else {
    res.writeHead(200, { ...headers, 'content-length': body.length });
  }
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Sends 200 with the full Content-Length, writes `bytes` of the body, then drops the connection. */
export function cutAfter(data: Buffer, bytes: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { etag: ETAG, 'content-length': data.length });
    res.write(data.subarray(0, bytes), () => { res.socket?.destroy(); });
  };
}

/** Answers `status` with an empty body. */
export function status(code: number, headers: Record<string, string> = {}): Handler {
  return (_req, res) => { res.writeHead(code, headers).end(); };
}
