/** Finalize jobs the workers ran in a run, and the uploads they carried (group commit). */
export interface FinalizeBatches {
  jobs: number;
  uploads: number;
  uploadsPerJob: number;
}

/**
 * Sums every worker's `longshore_finalize_batch_size` histogram (one observation per job run, of
 * the uploads it carried) from their own `/metrics`: whole runs, warm-up included. Undefined when
 * no worker answered or none ran a job.
 */
export async function finalizeBatches(metricsPorts: readonly number[]): Promise<FinalizeBatches | undefined> {
  let jobs = 0;
  let uploads = 0;
  for (const port of metricsPorts) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    if (!res?.ok) continue;
    const text = await res.text();
    jobs += sample(text, 'longshore_finalize_batch_size_count');
    uploads += sample(text, 'longshore_finalize_batch_size_sum');
  }
  if (jobs === 0) return undefined;
  return { jobs, uploads, uploadsPerJob: Math.round((uploads / jobs) * 100) / 100 };
}

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) || 0 : 0;
}
