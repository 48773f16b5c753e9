/** One line of `anomaly doctor` output about a destination. */
export interface ProbeLine {
  ok: boolean;
  /** What was checked, e.g. "Slack token". */
  what: string;
  /** What was found, e.g. "team Acme, bot anomaly-bot". */
  detail: string;
  /** What to do when not ok. */
  fix?: string;
}
