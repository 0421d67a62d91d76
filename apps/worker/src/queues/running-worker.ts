/** One queue's consumer in this process, as the composition root sees it. */
export interface RunningWorker {
  /** Stops taking jobs and lets the active ones finish. */
  close(): Promise<void>;
}
