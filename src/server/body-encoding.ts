import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';

const refused = (status: number, type: string, message: string) => Object.assign(new Error(message), { status, type });

/**
 * body-parser's `verify` hook, on the GraphQL and SCIM routes: bytes that are not valid in the body's
 * charset (UTF-8 unless declared) are refused with 400 `encoding.invalid`. body-parser decodes leniently
 * and would hand on, and the database keep, U+FFFD in their place.
 */
export function verifyBodyEncoding(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') {
    if (!isUtf8(body)) throw refused(400, 'encoding.invalid', 'Request body is not valid UTF-8');
    return;
  }
  let decoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw refused(415, 'charset.unsupported', 'Unsupported charset');
  }
  try {
    decoder.decode(body);
  } catch {
    throw refused(400, 'encoding.invalid', 'Request body is not valid in its charset');
  }
}
