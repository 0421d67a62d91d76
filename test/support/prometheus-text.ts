/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), which is what
 * prom-client serves; prom-client itself only writes the format. Enough of the grammar to read
 * a scrape exactly: `# HELP` / `# TYPE` lines, samples with escaped label values, special float
 * values and optional timestamps. Anything else is a parse error, not something skipped.
 */

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

export interface Scrape {
  families: Map<string, MetricFamily>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

export function parsePrometheusText(text: string): Scrape {
  const families = new Map<string, MetricFamily>();
  const samples: Sample[] = [];
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, found);
    }
    return found;
  };

  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const fail = (why: string): never => {
      throw new Error(`metrics line ${index + 1}: ${why}: ${raw}`);
    };
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name, rest = ''] = match;
      if (keyword === 'HELP') family(name!).help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) fail(`unknown type '${rest}'`);
        family(name!).type = rest;
      }
      return;
    }

    let rest = line;
    const name = NAME.exec(rest)?.[0] ?? fail('no metric name');
    rest = rest.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1).trimStart();
      while (!rest.startsWith('}')) {
        const labelName = LABEL_NAME.exec(rest)?.[0] ?? fail('bad label name');
        rest = rest.slice(labelName.length).trimStart();
        if (!rest.startsWith('="')) fail(`expected =" after label ${labelName}`);
        rest = rest.slice(2);
        let value = '';
        for (;;) {
          const ch = rest[0] ?? fail('unterminated label value');
          if (ch === '"') break;
          if (ch === '\\') {
            const escaped = rest[1] ?? fail('dangling escape');
            if (escaped === 'n') value += '\n';
            else if (escaped === '\\' || escaped === '"') value += escaped;
            else fail(`bad escape \\${escaped}`);
            rest = rest.slice(2);
          } else {
            value += ch;
            rest = rest.slice(1);
          }
        }
        if (Object.hasOwn(labels, labelName)) fail(`label ${labelName} repeated`);
        labels[labelName] = value;
        rest = rest.slice(1).trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith('}')) fail('expected , or } after a label');
      }
      rest = rest.slice(1);
    }
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') fail('expected a value and an optional timestamp');
    const value = parseValue(fields[0]!) ?? fail(`bad value '${fields[0]}'`);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) fail(`bad timestamp '${fields[1]}'`);

    const sample: Sample = { name, labels, value };
    samples.push(sample);
    family(familyNameOf(name, families)).samples.push(sample);
  });
  return { families, samples };
}

/** A float as Go's ParseFloat reads it (which Prometheus uses): NaN and Inf in any case. */
function parseValue(text: string): number | undefined {
  const special = text.toLowerCase();
  if (special === 'nan') return NaN; // prom-client writes 'Nan'
  if (['inf', '+inf', 'infinity', '+infinity'].includes(special)) return Infinity;
  if (['-inf', '-infinity'].includes(special)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** `x_bucket` belongs to the histogram `x` when a `# TYPE x` was declared; otherwise to itself. */
function familyNameOf(sampleName: string, families: Map<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sampleName;
}

/** Whether `sample` carries every label of `match` with that value (other labels may be there). */
function matches(sample: Sample, match: Record<string, string>): boolean {
  return Object.entries(match).every(([key, value]) => sample.labels[key] === value);
}

/**
 * The sum of the samples named `name` whose labels include `match` (0 when there are none yet:
 * prom-client only shows a labelled counter once a child was incremented).
 */
export function sampleSum(scrape: Scrape, name: string, match: Record<string, string> = {}): number {
  return scrape.samples.filter((s) => s.name === name && matches(s, match)).reduce((sum, s) => sum + s.value, 0);
}

/** The one sample named `name` whose labels include `match`; fails if there is not exactly one. */
export function sampleValue(scrape: Scrape, name: string, match: Record<string, string> = {}): number {
  const found = scrape.samples.filter((s) => s.name === name && matches(s, match));
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!.value;
}

/** A gauge without labels of its own. */
export function readGauge(scrape: Scrape, name: string): number {
  return sampleValue(scrape, name);
}

export async function scrapeMetrics(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/plain')) throw new Error(`GET ${url} answered ${contentType}, not the text format`);
  return parsePrometheusText(await response.text());
}
