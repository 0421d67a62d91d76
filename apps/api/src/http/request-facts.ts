import type { Request } from 'express';
import { type Principal, principalId } from '@longshore/auth';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller's access key id once a door has authenticated it (`anonymous`, `unrestricted`). */
      callerKeyId?: string;
      /** The repository the request is about, once its door knows it. */
      repositoryName?: string;
    }
  }
}

/** A door records who is calling, for the access line and the audit trail (never a secret). */
export function noteCaller(req: Request, principal: Principal): void {
  req.callerKeyId = principalId(principal);
}

/** A door records which repository the request is about, for the access line and the audit trail. */
export function noteRepository(req: Request, repositoryName: string | undefined): void {
  if (repositoryName) req.repositoryName = repositoryName;
}
