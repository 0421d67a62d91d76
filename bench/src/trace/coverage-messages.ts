/** One function of a product file that ran in the traced window, and how often. */
export interface RanFunction {
  /** The script's `file:` URL (the built `dist/….js`). */
  url: string;
  name: string;
  calls: number;
}

/** The coverage hook's answer to `{ type: 'trace-coverage-take' }`. */
export interface CoverageReply {
  type: 'trace-coverage';
  ran: RanFunction[];
}
