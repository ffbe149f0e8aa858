/**
 * Small HTTP helpers of the admin: JSON answers with the security headers, JSON errors, and request
 * bodies read with a size limit.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FLAT_SECURITY_HEADERS } from './security-headers.js';

/** An error answered as JSON with its HTTP status: `{ error: code, message }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Writes `body` as JSON (`HEAD` requests get the headers only). */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  send(req, res, status, 'application/json; charset=utf-8', text);
}

/** Writes an error as JSON. */
export function sendError(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(req, res, error.status, { error: error.code, message: error.message });
}

/** Writes `text` with `contentType` and the security headers (merged with any set before with `setHeader`). */
export function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, text: string | Buffer): void {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  res.writeHead(status, [...FLAT_SECURITY_HEADERS, 'Content-Type', contentType, 'Content-Length', String(body.length)]);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Reads a request body of at most `limit` bytes as a JSON object; an empty body is `{}`.
 * Refuses a larger body (413, without reading it all), a body that is not `application/json` (415)
 * and JSON that is not an object (400).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json, or send no body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'bad_json', `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'bad_json', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'body_too_large', `the body is larger than ${limit} bytes`, { Connection: 'close' });
}
