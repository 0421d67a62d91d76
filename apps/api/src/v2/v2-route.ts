import type { Request, Response } from 'express';
import type { V2Target } from './v2-path.js';

/** One /v2 request, as a route handler sees it: the path already taken apart. */
export interface V2Exchange {
  req: Request;
  res: Response;
  target: V2Target;
  /** Aborted when the client goes away before the answer is sent. */
  signal: AbortSignal;
}

/** A handler of one method on one route family; `operation` names it in metrics and logs. */
export interface V2Route {
  operation: string;
  handle(exchange: V2Exchange): Promise<void>;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The methods one route family serves. */
export type V2RouteFamily = Partial<Record<HttpMethod, V2Route>>;
