// The gradebook's arithmetic, kept pure so its rules are readable and tested against a
// hand-computed fixture (test/gradebook/math.test.ts).
//
// Rules (Canvas's defaults, which teachers know):
// - Only scored items count: work not yet graded, a quiz waiting for manual grading, and missing
//   work are shown but leave the averages alone (no silent zeros).
// - Unweighted: total points earned ÷ total points possible over counted items.
// - Weighted (per class, e.g. homework 40 / quizzes 60): each category's percentage times its
//   weight, divided by the weights of the categories that have a counted item yet.
// - Percentages are rounded to two decimals at the end only.

export type Category = 'homework' | 'quizzes';
export const CATEGORIES: readonly Category[] = ['homework', 'quizzes'];
export type Weights = Record<Category, number>;

/** A cell's contribution: the score the viewer may see, out of the item's points; score null
 * when it does not count (yet). */
export type Counted = { category: Category; points: number; score: number | null };

export type Average = {
  earned: number;
  possible: number;
  /** null while nothing counts. */
  percent: number | null;
  by_category: Record<Category, { earned: number; possible: number; percent: number | null }>;
};

const round2 = (n: number) => Math.round(n * 100) / 100;
const percentOf = (earned: number, possible: number) => (possible > 0 ? (earned / possible) * 100 : null);

export function average(cells: Counted[], weights: Weights | null): Average {
  const by = Object.fromEntries(CATEGORIES.map((c) => [c, { earned: 0, possible: 0 }])) as Record<Category, { earned: number; possible: number }>;
  for (const cell of cells) {
    if (cell.score === null) continue;
    by[cell.category].earned += cell.score;
    by[cell.category].possible += cell.points;
  }
  const earned = CATEGORIES.reduce((sum, c) => sum + by[c].earned, 0);
  const possible = CATEGORIES.reduce((sum, c) => sum + by[c].possible, 0);
  let percent: number | null;
  if (weights) {
    let weighted = 0;
    let used = 0;
    for (const c of CATEGORIES) {
      const p = percentOf(by[c].earned, by[c].possible);
      if (p === null || weights[c] === 0) continue;
      weighted += p * weights[c];
      used += weights[c];
    }
    percent = used > 0 ? weighted / used : null;
  } else {
    percent = percentOf(earned, possible);
  }
  const rounded = (p: number | null) => (p === null ? null : round2(p));
  return {
    earned: round2(earned),
    possible: round2(possible),
    percent: rounded(percent),
    by_category: Object.fromEntries(
      CATEGORIES.map((c) => [c, { earned: round2(by[c].earned), possible: round2(by[c].possible), percent: rounded(percentOf(by[c].earned, by[c].possible)) }]),
    ) as Average['by_category'],
  };
}

/** A column's class average, as a percentage of its points; null while no score counts. */
export function itemAverage(points: number, scores: (number | null)[]): number | null {
  const counted = scores.filter((s): s is number => s !== null);
  if (counted.length === 0 || points <= 0) return null;
  return round2((counted.reduce((a, b) => a + b, 0) / counted.length / points) * 100);
}
