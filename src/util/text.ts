// Short excerpts of process output and errors for one-line messages.

/** The last `n` non-empty lines of `text`, joined by `sep`, at most `max` characters. */
export function lastLines(text: string | undefined, n = 1, sep = '\n', max = 500): string {
  return (text ?? '').trim().split('\n').filter((l) => l.trim()).slice(-n).join(sep).slice(0, max);
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 400);
}
