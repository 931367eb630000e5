import type { NextFunction, Request, Response } from 'express';

export interface SuccessBody<T> {
  success: true;
  message: string;
  data: T;
}

export interface ErrorBody {
  success: false;
  message: string;
  code: string;
}

export function sendSuccess<T>(res: Response, status: number, message: string, data: T): void {
  const body: SuccessBody<T> = { success: true, message, data };
  res.status(status).json(body);
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  const body: ErrorBody = { success: false, message, code };
  res.status(status).json(body);
}

interface ClientError {
  status: number;
  code: string;
  message: string;
}

// body-parser (express.json) tags its errors with `type`; map them to stable codes.
const BODY_PARSER_ERRORS: Record<string, ClientError> = {
  'entity.parse.failed': { status: 400, code: 'invalid_request', message: 'The request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'The request body is too large' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'The request body is too large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: 'Unsupported charset' },
  'request.aborted': { status: 400, code: 'invalid_request', message: 'The request was aborted' },
  'request.size.invalid': { status: 400, code: 'invalid_request', message: 'The request body size is invalid' },
};

/**
 * Last-resort JSON error handler. Responses carry a fixed message per case, never the error's
 * own message or stack, which can contain driver details, queries or hashes.
 */
export function jsonErrorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error); // Express closes the half-sent response
    return;
  }
  const known = toClientError(error);
  if (known) {
    sendError(res, known.status, known.code, known.message);
    return;
  }
  console.error(`[error] ${req.method} ${req.path}:`, error);
  sendError(res, 500, 'internal_error', 'Something went wrong');
}

function toClientError(error: unknown): ClientError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status } = error as { type?: unknown; status?: unknown };
  const mapped = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (mapped) return mapped;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'invalid_request', message: 'The request could not be processed' };
  }
  return undefined;
}
