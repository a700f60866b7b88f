// A steady load for fault tests: a few clients sending one request after another until stopped,
// keeping every answer.
import type { Response } from './http.ts';

export type Load = { answers: Response[]; stop: () => Promise<Response[]> };

export function startLoad(clients: number, request: () => Promise<Response>): Load {
  let running = true;
  const answers: Response[] = [];
  const loops = Array.from({ length: clients }, async () => {
    while (running) answers.push(await request());
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

/** Asks until `done` says yes, at most `tries` times (each try is a request: no sleeping). */
export async function until(tries: number, ask: () => Promise<Response>, done: (res: Response) => boolean): Promise<Response> {
  let last: Response | undefined;
  for (let i = 0; i < tries; i++) {
    last = await ask();
    if (done(last)) return last;
  }
  throw new Error(`still not there after ${tries} tries; last answer ${last?.status} ${last?.text.slice(0, 200)}`);
}
