// A timed process's output, line by line and by stream. The client that starts a container
// (ctr) prints the container's stdout and stderr on its own, and its own log lines among the
// latter: containerd 2.2+'s ctr warns "DEPRECATION: The support for cgroup v1 ..." on stderr at
// every call on a v1 host. Those lines are the client's, not the workload's: they stay out of
// the output a sample records and of `expect`, and never count as a wait line.

export type Stream = 'stdout' | 'stderr';

export interface OutputLine { stream: Stream; text: string }

/** A warning in logrus' text form, as ctr and containerd's libraries log: `time="..." level=warning msg=...` (no tty) or `WARN[0000] ...` (a tty). */
const CLIENT_WARNING = /^(?:time="[^"]*" level=warning msg=|WARN\[\d+\] )/;

/** Whether a line on the client's stderr is the client's own warning. */
export const isClientWarning = (l: OutputLine) => l.stream === 'stderr' && CLIENT_WARNING.test(l.text);

export class ProcessOutput {
  /** Whole lines in the order they came; a stream's last line without a newline is added at end(). */
  readonly lines: OutputLine[] = [];
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };

  /** Adds a chunk of `stream`; returns the workload's lines it completed (the client's warnings left out). */
  push(stream: Stream, chunk: string | Buffer): OutputLine[] {
    const parts = (this.partial[stream] + chunk.toString()).split('\n');
    this.partial[stream] = parts.pop()!;
    return this.add(parts.map((text) => ({ stream, text })));
  }

  /** Ends both streams; returns the workload's last lines that had no newline. */
  end(): OutputLine[] {
    const rest = (['stdout', 'stderr'] as const).filter((s) => this.partial[s] !== '').map((stream) => ({ stream, text: this.partial[stream] }));
    this.partial.stdout = this.partial.stderr = '';
    return this.add(rest);
  }

  private add(lines: OutputLine[]): OutputLine[] {
    this.lines.push(...lines);
    return lines.filter((l) => !isClientWarning(l));
  }

  /** The workload's output, both streams interleaved as they came, without the client's warnings. */
  text(): string {
    return this.lines.filter((l) => !isClientWarning(l)).map((l) => l.text).join('\n');
  }

  /** The workload's own stdout: what `expect` reads. */
  stdout(): string {
    return this.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('\n');
  }
}
