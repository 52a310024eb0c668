// What happened when, in the page and in each worker: the breakdown of the
// first customization that `bespoke bench browser` reports. A mark is kept
// on the shared wall clock (timeOrigin + now), so marks from different
// contexts compare; the page turns them into ms since its navigation start.
export interface TimelineMark {
  what: string;
  /** performance.timeOrigin + performance.now() when it happened. */
  at: number;
}

const marks: TimelineMark[] = [];

export function mark(what: string): void {
  marks.push({ what, at: performance.timeOrigin + performance.now() });
}

/** The marks of this context so far. */
export function timeline(): TimelineMark[] {
  return marks.slice();
}
