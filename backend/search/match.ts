// Matching and ranking of the search (pure): a name matches when it contains the text, any case;
// an exact name ranks first, then a name starting with the text, then one where the text starts a
// word (after '-', '.', '_', ':' or '/'), then any other; shorter names first within a rank, then
// by kind, cluster, namespace and name. TopHits keeps only the best `limit` hits of any number
// added (memory bounded by the limit) and counts them all, so an answer can say it was cut.

/** How well a name matches: 0 exact, 1 prefix, 2 word start, 3 anywhere; null: no match. */
export function matchRank(name: string, needle: string): number | null {
  const hay = name.toLowerCase();
  const at = hay.indexOf(needle);
  if (at < 0) return null;
  if (hay.length === needle.length) return 0;
  if (at === 0) return 1;
  for (let i = at; i > 0; i = hay.indexOf(needle, i + 1)) {
    if (isWordBreak(hay[i - 1])) return 2;
  }
  return 3;
}

const isWordBreak = (c: string) => c === "-" || c === "." || c === "_" || c === ":" || c === "/";

/** The text as names are compared with it (trimmed, lower case). */
export const needleOf = (text: string) => text.trim().toLowerCase();

/** What ordering needs of a hit. */
export interface Ranked {
  rank: number;
  /** The kind's place in the fixed order (a cluster first). */
  kindOrder: number;
  cluster: string;
  namespace: string | null;
  name: string;
}

/** Best first. */
export function compareHits(a: Ranked, b: Ranked): number {
  return a.rank - b.rank ||
    a.name.length - b.name.length ||
    a.kindOrder - b.kindOrder ||
    cmp(a.cluster, b.cluster) ||
    cmp(a.namespace ?? "", b.namespace ?? "") ||
    cmp(a.name, b.name);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The best `limit` hits of all those added, and how many were added. */
export class TopHits<H extends Ranked> {
  #hits: H[] = [];
  #count = 0;

  constructor(readonly limit: number) {}

  add(hit: H): void {
    this.#count++;
    this.#hits.push(hit);
    // Trimmed now and then: at most twice the limit are ever held.
    if (this.#hits.length >= 2 * this.limit + 16) this.#trim();
  }

  #trim(): void {
    this.#hits.sort(compareHits);
    this.#hits.length = Math.min(this.#hits.length, this.limit);
  }

  /** How many hits were added (more than the limit: the answer was cut). */
  get count(): number {
    return this.#count;
  }

  /** The best hits, best first. */
  best(): H[] {
    this.#trim();
    return [...this.#hits];
  }
}
