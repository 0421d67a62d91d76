/** Where a command's result goes: JSON on stdout for scripts (--json), else lines for people. */
export interface Output {
  json: boolean;
  /** The result: `data` as one JSON document with --json, else the text `lines` make. */
  result(data: unknown, lines: () => string[]): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, lines) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${lines().join('\n')}\n`);
    },
  };
}
