// /metrics read by an independent parser of the Prometheus text format (prom2javascript, not prom-client), with
// lookups by name and labels. The parser throws on any line it cannot read.
import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetric } from "prom2javascript";

const matches = (have: Record<string, string>, want: Record<string, string>): boolean => Object.entries(want).every(([k, v]) => have[k] === v);

export class Scrape {
  private constructor(
    readonly text: string,
    readonly families: Record<string, PromMetric>,
  ) {}

  /**
   * The text format allows NaN as a value (Prometheus reads it with Go's ParseFloat, in any case: prom-client writes
   * "Nan", for an event-loop statistic with no sample yet); this parser does not know it, so such samples are left out.
   */
  static async parse(text: string): Promise<Scrape> {
    const lines = text.split("\n").filter((l) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? NaN$/i.test(l));
    return new Scrape(text, await getMetricsFromIterator(lines[Symbol.iterator]()));
  }

  family(name: string, type: "gauge" | "counter" | "histogram"): PromMetric {
    const f = this.families[name];
    if (!f) throw new Error(`no metric ${name} in the scrape`);
    if (f.type !== type) throw new Error(`${name} is a ${f.type}, not a ${type}`);
    return f;
  }

  /** The one value of a gauge or counter whose labels include `labels`. */
  value(name: string, type: "gauge" | "counter", labels: Record<string, string> = {}): number {
    const [sample, ...more] = (this.family(name, type).data as PromData[]).filter((d) => matches(d.labels, labels));
    if (!sample || more.length > 0) throw new Error(`expected one ${name} sample with ${JSON.stringify(labels)}`);
    return sample.value;
  }

  /** The series of a histogram whose labels include `labels`. */
  histograms(name: string, labels: Record<string, string> = {}): PromHistogramData[] {
    return (this.family(name, "histogram").data as PromHistogramData[]).filter((d) => matches(d.labels, labels));
  }

  /** A histogram's observations, summed over the series whose labels include `labels`. */
  histogramCount(name: string, labels: Record<string, string> = {}): number {
    return this.histograms(name, labels).reduce((n, s) => n + s.count, 0);
  }
}

export async function scrape(res: Response): Promise<Scrape> {
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  return Scrape.parse(await res.text());
}
