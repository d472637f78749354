// Receiving one evidence file from multipart/form-data (busboy): size limit enforced
// while streaming (the upload is cut off at the limit), content type checked against an
// allowlist and against the file's first bytes, SHA-256 computed on the way in.
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import busboy from 'busboy';
import { HttpError } from '../../common/errors.js';

export const ALLOWED_TYPES: Record<string, { sniff?: (head: Buffer) => boolean; text?: boolean }> = {
  'application/pdf': { sniff: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  'image/png': {
    sniff: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  'image/jpeg': { sniff: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  'text/plain': { text: true },
  'text/markdown': { text: true },
  'text/csv': { text: true },
  'application/json': { text: true },
  'application/yaml': { text: true },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { sniff: isZip },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { sniff: isZip },
};

function isZip(b: Buffer): boolean {
  return b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReceivedFile {
  filename: string;
  contentType: string;
  data: Buffer;
  size: number;
  sha256: string;
}

export interface ReceivedUpload {
  fields: Record<string, string>;
  file?: ReceivedFile;
}

export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // control characters and quotes never belong in a Content-Disposition file name
    .replace(/[\u0000-\u001f\u007f"]/g, '') // eslint-disable-line no-control-regex
    .trim()
    .slice(0, 255);
  return cleaned || 'evidence';
}

export function receiveUpload(req: Request, maxBytes: number): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    if (!req.is('multipart/form-data'))
      return reject(
        new HttpError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'upload evidence as multipart/form-data with a "file" part',
        ),
      );
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 25 },
      });
    } catch (err) {
      return reject(
        new HttpError(400, 'BAD_REQUEST', `malformed multipart request: ${(err as Error).message}`),
      );
    }
    const fields: Record<string, string> = {};
    let file: ReceivedFile | undefined;
    let failure: HttpError | undefined;
    let pending: Promise<void> = Promise.resolve();
    const fail = (e: HttpError) => {
      failure ??= e;
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated)
        fail(
          new HttpError(400, 'VALIDATION_FAILED', `field ${name} is too long`, [
            { in: 'body', path: name, code: 'too_big', message: 'at most 4096 bytes' },
          ]),
        );
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file') {
        fail(
          new HttpError(400, 'VALIDATION_FAILED', `unexpected file part ${name}`, [
            {
              in: 'body',
              path: name,
              code: 'unexpected_file',
              message: 'send the file in a part named "file"',
            },
          ]),
        );
        stream.resume();
        return;
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      pending = new Promise<void>((done) => {
        stream.on('data', (c: Buffer) => {
          size += c.length;
          hash.update(c);
          chunks.push(c);
        });
        stream.on('limit', () => {
          // answer at once; the rest of the body is not read into memory
          fail(
            new HttpError(
              413,
              'PAYLOAD_TOO_LARGE',
              `the evidence file is larger than the limit of ${maxBytes} bytes`,
            ),
          );
          chunks.length = 0;
          reject(failure);
        });
        stream.on('close', () => {
          file = {
            filename: safeFilename(info.filename ?? 'evidence'),
            contentType: (info.mimeType || 'application/octet-stream').toLowerCase(),
            data: Buffer.concat(chunks),
            size,
            sha256: hash.digest('hex'),
          };
          done();
        });
      });
    });
    bb.on('filesLimit', () =>
      fail(
        new HttpError(400, 'VALIDATION_FAILED', 'only one file per upload', [
          { in: 'body', path: 'file', code: 'too_many', message: 'one file per upload' },
        ]),
      ),
    );
    bb.on('partsLimit', () => fail(new HttpError(400, 'BAD_REQUEST', 'too many parts in the upload')));
    bb.on('fieldsLimit', () => fail(new HttpError(400, 'BAD_REQUEST', 'too many fields in the upload')));
    bb.on('error', (err: Error) =>
      reject(failure ?? new HttpError(400, 'BAD_REQUEST', `malformed multipart request: ${err.message}`)),
    );
    bb.on('close', () => {
      void pending.then(() => (failure ? reject(failure) : resolve({ fields, file })));
    });
    req.on('aborted', () => reject(new HttpError(400, 'BAD_REQUEST', 'upload aborted by the client')));
    req.pipe(bb);
  });
}

/** Allowlisted type whose content matches it; throws 415 otherwise. */
export function checkContent(file: ReceivedFile): void {
  const rule = ALLOWED_TYPES[file.contentType];
  if (!rule)
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `evidence of type ${file.contentType} is not accepted; allowed: ${Object.keys(ALLOWED_TYPES).join(', ')}`,
      [{ in: 'body', path: 'file', code: 'content_type', message: `${file.contentType} is not allowed` }],
    );
  const looksRight = rule.text ? isText(file.data) : rule.sniff!(file.data);
  if (!looksRight)
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `the file's content is not ${file.contentType}`, [
      {
        in: 'body',
        path: 'file',
        code: 'content_mismatch',
        message: `content does not match the declared type ${file.contentType}`,
      },
    ]);
}

function isText(data: Buffer): boolean {
  if (data.includes(0)) return false;
  try {
    utf8.decode(data);
    return true;
  } catch {
    return false;
  }
}
