import { readFileSync } from 'node:fs';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Principal } from '@longshore/auth';
import {
  LongshoreError,
  RepositoryNotFoundException,
  RouteNotFoundError,
  ThrottlingException,
  wireEntry,
} from '@longshore/domain';
import type { AuthGate } from '../auth/auth-gate.js';
import { setRetryAfter } from '../errors/send-error.js';
import { wordedRefusal } from '../errors/to-domain-error.js';
import { noteRepository } from '../http/request-facts.js';
import type { ImageOverview } from '../overview/image-overview.js';
import type { OperationsOverview } from '../overview/operations-overview.js';
import type { RepositoryOverview } from '../overview/repository-overview.js';
import { type ConsoleCaller, ConsoleSessionDoor } from './console-session.js';
import { html } from './html.js';
import { imageBody } from './image-page.js';
import { type ConsoleViewer, page } from './layout.js';
import { OPERATIONS_REFRESH_SECONDS, operationsBody } from './operations-page.js';
import { REPOSITORY_SORTS, type RepositorySort, repositoriesBody } from './repositories-page.js';
import { repositoryBody } from './repository-page.js';
import { signInBody } from './sign-in-page.js';

export interface ConsoleDeps {
  auth: AuthGate;
  sessions: ConstructorParameters<typeof ConsoleSessionDoor>[1];
  repositories: RepositoryOverview;
  images: ImageOverview;
  operations: OperationsOverview;
  /** The registry's public base URL for a request (pull commands, and the origin POSTs must come from). */
  baseUrl: (req: Request) => string;
}

/** Repositories per page of the list; images per page of a repository. */
const REPOSITORY_PAGE = 25;
const IMAGE_PAGE = 50;

/** What the console reads, as IAM actions: a repository is listed when its key may describe it or its images. */
const LIST_ACTIONS = ['ecr:DescribeRepositories', 'ecr:DescribeImages'];
const IMAGES_ACTION = 'ecr:DescribeImages';
const IMAGE_ACTION = 'ecr:BatchGetImage';
const LIFECYCLE_ACTION = 'ecr:GetLifecyclePolicy';

/** The stylesheet, copied next to this file by the build. */
const css = readFileSync(new URL('./console.css', import.meta.url));

/** Headers of every console page: never cached, never framed, no script, forms only to the console itself. */
function sendHtml(res: Response, status: number, markup: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    })
    .send(markup);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The read-only web console under /ui/ (docs/console.md): server-rendered pages over the API's
 * own services, shown through the same permission checks as the ECR API. Mounted at /ui only,
 * after every other door: it adds nothing to the push and pull paths.
 */
export function createConsoleRouter(deps: ConsoleDeps): Router {
  const door = new ConsoleSessionDoor(deps.auth, deps.sessions);
  const can = (principal: Principal, action: string, repository: string) =>
    deps.auth.permissions.can(principal, action, repository);
  const ui = Router();

  const errorPage = (req: Request, res: Response, viewer: ConsoleViewer, thrown: unknown) => {
    const err = wordedRefusal(thrown);
    if (!(err instanceof LongshoreError)) {
      req.log.error({ err }, 'console page failed');
      sendHtml(
        res,
        500,
        page({
          title: 'Error',
          viewer,
          body: html`<h1>Something went wrong</h1><p class="error" role="alert">The page could not be built; the API log has the details.</p>`,
        }),
      );
      return;
    }
    setRetryAfter(res, err);
    const status = wireEntry(err.name).httpStatus;
    sendHtml(
      res,
      status,
      page({
        title: 'Error',
        viewer,
        body: html`<h1>${err.name}</h1><p class="error" role="alert">${err.message}</p><p><a href="/ui/">Back to the repositories</a></p>`,
      }),
    );
  };

  /** A page handler: the caller resolved first, every error answered as an HTML page. */
  const view =
    (build: (req: Request, res: Response, caller: ConsoleCaller) => Promise<void>): RequestHandler =>
    async (req, res) => {
      let viewer: ConsoleViewer = { mode: 'anonymous' };
      try {
        const caller = await door.caller(req, res);
        viewer = caller.viewer;
        await build(req, res, caller);
      } catch (err) {
        errorPage(req, res, viewer, err);
      }
    };

  /** POST forms: SameSite=Strict cookies, and the Origin (else Referer) must be this registry's own. */
  const sameOrigin: RequestHandler = (req, res, next) => {
    let own: string | undefined;
    try {
      own = new URL(deps.baseUrl(req)).origin;
    } catch {
      own = undefined;
    }
    const origin = req.get('origin') ?? (req.get('referer') ? safeOrigin(req.get('referer')!) : undefined);
    if (own && origin === own) {
      next();
      return;
    }
    sendHtml(
      res,
      403,
      page({
        title: 'Refused',
        viewer: { mode: 'anonymous' },
        body: html`<h1>Refused</h1><p class="error" role="alert">This form must be sent from the console's own pages.</p>`,
      }),
    );
  };

  ui.get('/assets/console.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(css);
  });

  ui.get(
    '/sign-in',
    view(async (_req, res, caller) => {
      if (caller.viewer.mode !== 'anonymous') {
        res.redirect(303, '/ui/');
        return;
      }
      sendHtml(
        res,
        200,
        page({
          title: 'Sign in',
          viewer: caller.viewer,
          body: signInBody(),
          ...(caller.notice ? { notice: caller.notice } : {}),
        }),
      );
    }),
  );

  ui.post('/sign-in', sameOrigin, express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    if (!door.enabled) {
      res.redirect(303, '/ui/');
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const accessKeyId = (text(body.accessKeyId) ?? '').trim();
    const secretAccessKey = text(body.secretAccessKey) ?? '';
    const refuse = (status: number, message: string) =>
      sendHtml(
        res,
        status,
        page({ title: 'Sign in', viewer: { mode: 'anonymous' }, body: signInBody(message, accessKeyId) }),
      );
    if (!accessKeyId || !secretAccessKey) {
      refuse(400, 'Enter an access key ID and its secret access key.');
      return;
    }
    try {
      await door.signIn(req, res, accessKeyId, secretAccessKey);
      res.redirect(303, '/ui/');
    } catch (err) {
      if (err instanceof ThrottlingException) {
        setRetryAfter(res, err);
        refuse(429, 'Too many failed sign-ins from this address; wait and try again.');
      } else if (err instanceof LongshoreError) {
        refuse(401, 'The access key ID or the secret access key is not valid.');
      } else {
        errorPage(req, res, { mode: 'anonymous' }, err);
      }
    }
  });

  ui.post('/sign-out', sameOrigin, (req, res) => {
    door.clear(req, res);
    res.redirect(303, '/ui/sign-in');
  });

  ui.get(
    '/',
    view(async (req, res, caller) => {
      const filter = (text(req.query.filter) ?? '').trim();
      const after = text(req.query.after) || undefined;
      const sortAsked = text(req.query.sort) as RepositorySort | undefined;
      const sort = sortAsked && REPOSITORY_SORTS.includes(sortAsked) ? sortAsked : 'name';
      const descending = text(req.query.order) === 'desc';
      const visible = (name: string) =>
        (filter === '' || name.includes(filter)) && LIST_ACTIONS.some((action) => can(caller.principal, action, name));
      const listed = await deps.repositories.list(REPOSITORY_PAGE, after, visible);
      const body = repositoriesBody({
        page: listed,
        filter,
        sort,
        descending,
        ...(after !== undefined ? { after } : {}),
      });
      const signInHint =
        caller.viewer.mode === 'anonymous'
          ? html`<p class="muted">You see the repositories anyone may pull from. <a href="/ui/sign-in">Sign in</a> to see those your access key may read.</p>`
          : html``;
      sendHtml(
        res,
        200,
        page({
          title: 'Repositories',
          viewer: caller.viewer,
          section: 'repositories',
          body: html`${body}${signInHint}`,
          ...(caller.notice ? { notice: caller.notice } : {}),
        }),
      );
    }),
  );

  /** The repository a page names, if the caller may read `action` on it; else as if it did not exist. */
  const readable = (caller: ConsoleCaller, name: string | undefined, action: string): string => {
    if (!name || !can(caller.principal, action, name)) {
      throw new RepositoryNotFoundException(`There is no repository named '${name ?? ''}' that you may read`);
    }
    return name;
  };

  ui.get(
    '/repository',
    view(async (req, res, caller) => {
      const name = readable(caller, text(req.query.name), IMAGES_ACTION);
      noteRepository(req, name);
      const nextToken = text(req.query.next) || undefined;
      const [detail, images] = await Promise.all([
        deps.repositories.repository(name),
        deps.images.list(name, IMAGE_PAGE, nextToken),
      ]);
      const body = repositoryBody({
        detail,
        images,
        ...(nextToken !== undefined ? { nextToken } : {}),
        showLifecycle: can(caller.principal, LIFECYCLE_ACTION, name),
        registryHost: new URL(deps.baseUrl(req)).host,
      });
      sendHtml(res, 200, page({ title: name, viewer: caller.viewer, section: 'repositories', body }));
    }),
  );

  ui.get(
    '/image',
    view(async (req, res, caller) => {
      const name = readable(caller, text(req.query.repository), IMAGE_ACTION);
      noteRepository(req, name);
      const image = await deps.images.image(name, text(req.query.digest) ?? '');
      const body = imageBody(image, new URL(deps.baseUrl(req)).host);
      sendHtml(
        res,
        200,
        page({
          title: `${name}@${image.record.digest.slice(0, 19)}`,
          viewer: caller.viewer,
          section: 'repositories',
          body,
        }),
      );
    }),
  );

  ui.get(
    '/operations',
    view(async (_req, res, caller) => {
      if (caller.viewer.mode === 'anonymous') {
        res.redirect(303, '/ui/sign-in');
        return;
      }
      const snapshot = await deps.operations.snapshot();
      const mayRead = (upload: { repositoryName: string }) =>
        LIST_ACTIONS.some((action) => can(caller.principal, action, upload.repositoryName));
      const shown = {
        ...snapshot,
        uploadsInFlight: snapshot.uploadsInFlight.filter(mayRead),
        uploadsFailed: snapshot.uploadsFailed.filter(mayRead),
      };
      sendHtml(
        res,
        200,
        page({
          title: 'Operations',
          viewer: caller.viewer,
          section: 'operations',
          refreshSeconds: OPERATIONS_REFRESH_SECONDS,
          body: operationsBody(shown),
        }),
      );
    }),
  );

  ui.use(
    view(async (req, _res) => {
      throw new RouteNotFoundError(`Nothing is served at ${req.method} /ui${req.path}`);
    }),
  );

  const router = Router();
  router.use('/ui', ui);
  return router;
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
