import type { Request, Response } from 'express';
import { parse, serialize } from 'cookie';
import { type ConsoleSessions, type Principal, anonymous, unrestricted } from '@longshore/auth';
import { InvalidSignatureException, UnrecognizedClientException } from '@longshore/domain';
import type { AuthGate } from '../auth/auth-gate.js';
import { sourceOf } from '../auth/signed-request.js';
import { noteCaller } from '../http/request-facts.js';
import type { ConsoleViewer } from './layout.js';

/** The session cookie: HttpOnly, SameSite=Strict, only sent to /ui, Secure when served over TLS. */
export const SESSION_COOKIE = 'longshore_console';
const COOKIE_PATH = '/ui';

/** Who asks, as the console's pages see it. */
export interface ConsoleCaller {
  principal: Principal;
  viewer: ConsoleViewer;
  /** Why a session cookie was refused (it expired, or its key was revoked): shown once. */
  notice?: string;
}

/**
 * The console's side of authentication: a session cookie proven by the same AuthGate (and the
 * same credentials, key generations, failure counts and quotas) as every other door.
 */
export class ConsoleSessionDoor {
  constructor(
    private readonly auth: AuthGate,
    private readonly sessions: ConsoleSessions,
  ) {}

  get enabled(): boolean {
    return this.auth.enabled;
  }

  /** The caller of a page request: unrestricted with AUTH=off, else its session's key, else anonymous. */
  async caller(req: Request, res: Response): Promise<ConsoleCaller> {
    if (!this.auth.enabled) return this.noted(req, { principal: unrestricted, viewer: { mode: 'auth-off' } });
    const value = parse(req.get('cookie') ?? '')[SESSION_COOKIE];
    if (!value) return this.noted(req, { principal: anonymous, viewer: { mode: 'anonymous' } });
    try {
      const principal = await this.auth.session(this.knock(req), this.sessions, value);
      const accessKeyId = principal.kind === 'key' ? principal.key.accessKeyId : '';
      return this.noted(req, { principal, viewer: { mode: 'signed-in', accessKeyId } });
    } catch (err) {
      if (!(err instanceof InvalidSignatureException)) throw err;
      this.clear(req, res);
      return this.noted(req, {
        principal: anonymous,
        viewer: { mode: 'anonymous' },
        notice: 'Your session has ended (it expired, or its access key was changed or removed). Sign in again.',
      });
    }
  }

  /** Checks the typed key id and secret (failures count as every door's do) and sets the session cookie. */
  async signIn(req: Request, res: Response, accessKeyId: string, secretAccessKey: string): Promise<void> {
    const principal = await this.auth.signIn(this.knock(req), this.sessions, accessKeyId, secretAccessKey);
    if (principal.kind !== 'key') throw new UnrecognizedClientException('Sign in with an access key');
    const session = await this.sessions.open(principal.key);
    res.append(
      'Set-Cookie',
      serialize(SESSION_COOKIE, session.value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: COOKIE_PATH,
        maxAge: this.sessions.ttlSeconds,
        expires: session.expiresAt,
      }),
    );
    noteCaller(req, principal);
  }

  /** Ends the session in this browser. */
  clear(req: Request, res: Response): void {
    res.append(
      'Set-Cookie',
      serialize(SESSION_COOKIE, '', {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: COOKIE_PATH,
        maxAge: 0,
        expires: new Date(0),
      }),
    );
  }

  private knock(req: Request) {
    return { door: 'console' as const, source: sourceOf(req), log: req.log };
  }

  private noted(req: Request, caller: ConsoleCaller): ConsoleCaller {
    noteCaller(req, caller.principal);
    return caller;
  }
}
