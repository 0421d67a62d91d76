import { type Job, type Processor, Worker, type WorkerOptions } from 'bullmq';

/**
 * How long an idle consumer's blocking wait for a job lasts before it asks again (seconds): the
 * most BullMQ allows. A job added meanwhile wakes it at once (BullMQ's marker), and a delayed or
 * scheduled job shortens the wait to its time, so only the idle re-polls get fewer: one
 * `BZPOPMIN` and one move-to-active script per queue every 10 s instead of every 5 s.
 */
export const IDLE_WAIT_SECONDS = 10;

/**
 * A BullMQ worker that starts a job it has fetched at once. BullMQ's own main loop, once a fetch
 * brings a job, first asks Redis for another (a move-to-active script) with a free slot and only
 * then starts the first: on a lone job that is one more round trip before the work begins, and a
 * script that finds nothing. Here that follow-up fetch is skipped: the worker counts as drained,
 * so its loop blocks on the queue's marker, which fetching the job has just set again
 * (BullMQ sets it whenever a job moves to active, for other workers). With more jobs waiting,
 * the marker wakes the loop at once and the next is fetched as before, one blocking pop later;
 * with none, the pop and one fetch find that out while the first job runs, not before it.
 *
 * Nothing else changes: locks, lock renewal, stall checks, retries and fetch-next on completion
 * are BullMQ's. `moveToActive` is BullMQ's protected extension point for fetching.
 */
export class PromptWorker<DataType = unknown, ResultType = unknown, NameType extends string = string> extends Worker<
  DataType,
  ResultType,
  NameType
> {
  /** The last fetch brought a job: the main loop's next, non-blocking fetch is the speculative one. */
  private fetchedJob = false;

  constructor(name: string, processor: Processor<DataType, ResultType, NameType>, opts: WorkerOptions) {
    super(name, processor, { drainDelay: IDLE_WAIT_SECONDS, ...opts });
  }

  protected override async moveToActive(token: string, name?: string): Promise<Job<DataType, ResultType, NameType>> {
    if (this.fetchedJob) {
      this.fetchedJob = false;
      // No job, no Redis call: BullMQ records the worker as drained, and its loop blocks on the marker.
      return this.nextJobFromJobData();
    }
    const job = await super.moveToActive(token, name);
    this.fetchedJob = job !== undefined;
    return job;
  }
}
