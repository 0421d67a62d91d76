import type { Response } from 'express';

/**
 * The JSON envelope of Longshore's own HTTP APIs (/v1, downloads), fixed by the user's documents:
 * `{"success": true, "data": {...}}` and `{"success": false, "error": {"code", "message"}}`.
 */
export function sendEnvelope(res: Response, status: number, data: object): void {
  res.status(status).json({ success: true, data });
}

export function sendEnvelopeError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: object = {},
): void {
  res.status(status).json({ success: false, error: { code, message, ...extra } });
}
