import { groupOrder, type TraceGroup } from './trace-groups.js';

export interface TracedFile {
  /** Source path from the repository root. */
  file: string;
  group: TraceGroup;
  /** api, worker: the processes it ran in. */
  processes: string[];
  /** How many of its functions ran. */
  functions: number;
}

/** The files by group, then the totals; as plain text, or as the Markdown table of docs/architecture.md. */
export function formatTrace(
  files: readonly TracedFile[],
  run: { markdown: boolean; layerBytes: number; parts: number },
) {
  const byGroup = groupOrder.map((group) => ({
    group,
    files: files.filter((f) => f.group === group).sort((a, b) => a.file.localeCompare(b.file)),
  }));
  const counts = byGroup.map(({ group, files }) => `${files.length} ${group}`).join(' + ');
  const total = `total: ${files.length} product files (${counts}); one ${run.layerBytes / 2 ** 20} MiB layer in ${run.parts} parts`;
  const lines: string[] = [];
  if (run.markdown) {
    lines.push('| group | file | ran in | functions |', '| --- | --- | --- | --- |');
    for (const { group, files } of byGroup) {
      for (const f of files) lines.push(`| ${group} | \`${f.file}\` | ${f.processes.join(', ')} | ${f.functions} |`);
    }
    lines.push('', total);
    return lines.join('\n');
  }
  const width = Math.max(...files.map((f) => f.file.length));
  for (const { group, files } of byGroup) {
    lines.push(`${group} (${files.length} files)`);
    for (const f of files) lines.push(`  ${f.file.padEnd(width)}  ${f.processes.join(',').padEnd(10)} ${f.functions}`);
    lines.push('');
  }
  lines.push(total);
  return lines.join('\n');
}
