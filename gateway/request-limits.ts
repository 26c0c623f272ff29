import express, {
  type ErrorRequestHandler,
  type RequestHandler,
  type Response,
} from 'express';
import type { Config } from '../lib/config';
import { ErrorCode } from '../lib/errors';

function refuse(
  response: Response,
  status: number,
  code: ErrorCode,
  message: string,
): void {
  response.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * Per-HTTP-request limits, before GraphQL sees the request: a JSON body of
 * at most `maxBytes` (413 `REQUEST_TOO_LARGE`, refused from
 * `Content-Length` before reading when the client declares it), a batch of
 * at most `maxBatch` operations (400 `BATCH_TOO_LARGE`), and malformed JSON
 * answered as a coded GraphQL error (400 `BAD_REQUEST`) instead of an HTML
 * page. Other content types pass on to Apollo Server, which refuses them
 * with `BAD_REQUEST` itself.
 */
export function requestLimits(
  config: Pick<Config, 'requestLimits'>,
): Array<RequestHandler | ErrorRequestHandler> {
  const { maxBytes, maxBatch } = config.requestLimits;
  const parse = express.json({ limit: maxBytes });
  const batch: RequestHandler = (request, response, next) => {
    const body: unknown = request.body;
    if (Array.isArray(body) && body.length > maxBatch) {
      refuse(
        response,
        400,
        ErrorCode.BATCH_TOO_LARGE,
        `A batch holds at most ${maxBatch} operations; this one holds ${body.length}.`,
      );
      return;
    }
    next();
  };
  const malformed: ErrorRequestHandler = (error, _request, response, next) => {
    const type = (error as { type?: unknown } | null)?.type;
    if (type === 'entity.too.large') {
      refuse(
        response,
        413,
        ErrorCode.REQUEST_TOO_LARGE,
        `The request body exceeds ${maxBytes} bytes.`,
      );
      return;
    }
    if (
      type === 'entity.parse.failed' ||
      type === 'encoding.unsupported' ||
      type === 'charset.unsupported' ||
      type === 'request.size.invalid' ||
      type === 'request.aborted'
    ) {
      refuse(
        response,
        400,
        ErrorCode.BAD_REQUEST,
        'The request body could not be read as JSON.',
      );
      return;
    }
    next(error);
  };
  return [parse, malformed, batch];
}
