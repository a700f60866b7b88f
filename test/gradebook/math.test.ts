// The gradebook's arithmetic against numbers worked out by hand.
import test from 'ava';
import { average, itemAverage } from '../../api/gradebook/math.ts';

// Homework: 8/10 and 15/20 scored, one 10-point piece not graded yet.
// Quizzes: 18/25 scored, one waiting for manual grading.
const cells = [
  { category: 'homework' as const, points: 10, score: 8 },
  { category: 'homework' as const, points: 20, score: 15 },
  { category: 'homework' as const, points: 10, score: null },
  { category: 'quizzes' as const, points: 25, score: 18 },
  { category: 'quizzes' as const, points: 40, score: null },
];

test('unweighted: points earned over points possible, scored work only', (t) => {
  const a = average(cells, null);
  // (8 + 15 + 18) / (10 + 20 + 25) = 41 / 55 = 74.5454… %
  t.is(a.earned, 41);
  t.is(a.possible, 55);
  t.is(a.percent, 74.55);
  // Homework 23/30 = 76.666… %, quizzes 18/25 = 72 %.
  t.deepEqual(a.by_category.homework, { earned: 23, possible: 30, percent: 76.67 });
  t.deepEqual(a.by_category.quizzes, { earned: 18, possible: 25, percent: 72 });
});

test('weighted: category percentages times weights, over the weights in use', (t) => {
  // 0.4 × 76.666… + 0.6 × 72 = 30.666… + 43.2 = 73.866… %
  t.is(average(cells, { homework: 40, quizzes: 60 }).percent, 73.87);
  // No quiz scored yet: homework alone stands for the whole (its 40 is all the weight in use).
  t.is(average(cells.slice(0, 3), { homework: 40, quizzes: 60 }).percent, 76.67);
  // A category weighted 0 does not count at all.
  t.is(average(cells, { homework: 0, quizzes: 100 }).percent, 72);
});

test('nothing scored yet is null, not zero; a column average is over its scores', (t) => {
  const a = average([{ category: 'homework', points: 10, score: null }], null);
  t.is(a.percent, null);
  t.is(a.earned, 0);
  // (7 + 9 + 10) / 3 / 10 = 86.666… %
  t.is(itemAverage(10, [7, null, 9, 10]), 86.67);
  t.is(itemAverage(10, [null]), null);
});
