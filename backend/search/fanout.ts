// Runs one task per item, at most `concurrency` at once, and answers by a cutoff whatever
// happened: each item's value, its failure, or "timeout" (still running at the cutoff, or never
// started because the cutoff came first). A task that never settles cannot hold the answer back.

export type Outcome<R> =
  | { status: "done"; value: R }
  | { status: "failed"; error: unknown }
  | { status: "timeout" };

export async function fanOut<T, R>(
  items: readonly T[],
  opts: { concurrency: number; cutoff: Promise<void> },
  run: (item: T) => Promise<R>,
): Promise<Outcome<R>[]> {
  const out: Outcome<R>[] = items.map(() => ({ status: "timeout" }));
  let cutoff = false;
  const late = opts.cutoff.then(() => {
    cutoff = true;
    return { status: "timeout" } as const;
  });
  let next = 0;
  const worker = async () => {
    while (!cutoff && next < items.length) {
      const i = next++;
      out[i] = await Promise.race([
        run(items[i]).then(
          (value): Outcome<R> => ({ status: "done", value }),
          (error): Outcome<R> => ({ status: "failed", error }),
        ),
        late,
      ]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, opts.concurrency), items.length) }, worker),
  );
  return out;
}
