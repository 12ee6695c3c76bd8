import type { SessionLogger } from '../../src/SessionLogger.ts';
import type { LinearPattern } from '../../processors/linearPattern.ts';
import { incompleteUtf8Tail, textOrBytes } from './outputText.ts';
import { StreamRedactor } from './StreamRedactor.ts';

/** A prompt is a short unfinished line; only its last characters are tested. */
const MAX_PROMPT_LINE = 4096;
const lossyUtf8 = new TextDecoder('utf-8');

export interface OutputRecorderOptions {
  name: 'stdout' | 'stderr';
  promptPattern: LinearPattern;
  redact: readonly LinearPattern[];
  redactWindow: number;
  /** Shared by all sessions: events not recorded because of their session's level. */
  counters: { filtered: number };
}

/**
 * Records one pipe of a session's process: `output` records (full) and `prompt.detected`
 * (prompts). Holds back the bytes of a UTF-8 character split between reads, and the text
 * where a redact pattern may be matching (StreamRedactor).
 */
export class OutputRecorder {
  readonly name: 'stdout' | 'stderr';
  /** Bytes read from the pipe. */
  bytes = 0;
  private readonly options: OutputRecorderOptions;
  private readonly redactor: StreamRedactor;
  private held: Buffer | undefined;
  /** The unfinished last line, for prompt detection. */
  private tail = '';

  constructor(options: OutputRecorderOptions) {
    this.options = options;
    this.name = options.name;
    this.redactor = new StreamRedactor(options.redact, options.redactWindow);
  }

  /** One read from the pipe. */
  push(logger: SessionLogger, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (logger.closed) return; // a grandchild writing after the session ended
    let bytes = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
    const hold = incompleteUtf8Tail(bytes);
    this.held = hold === 0 ? undefined : Buffer.from(bytes.subarray(bytes.length - hold));
    if (hold !== 0) bytes = bytes.subarray(0, bytes.length - hold);
    if (bytes.length !== 0) this.record(logger, bytes);
  }

  /** The pipe is done: record what is still held. */
  end(logger: SessionLogger): void {
    if (this.held !== undefined) this.record(logger, this.held);
    this.held = undefined;
    const rest = this.redactor.end();
    if (rest !== '' && logger.isEnabled('output')) logger.emit('output', rest, { stream: this.name });
  }

  private record(logger: SessionLogger, bytes: Buffer): void {
    const wantsPrompt = logger.isEnabled('prompt.detected');
    const wantsOutput = logger.isEnabled('output');
    if (!wantsPrompt) this.tail = '';
    if (!wantsOutput) this.redactor.reset();
    if (!wantsPrompt && !wantsOutput) {
      this.options.counters.filtered++;
      return;
    }
    let body = textOrBytes(bytes);
    // Redaction reads text: with patterns set, bytes that are not UTF-8 are read as U+FFFD.
    if (typeof body !== 'string' && this.options.redact.length > 0) body = lossyUtf8.decode(bytes);
    if (wantsOutput) {
      const recorded = typeof body === 'string' ? this.redactor.push(body) : body;
      if (recorded.length !== 0) logger.emit('output', recorded, { stream: this.name });
    }
    if (wantsPrompt && typeof body === 'string') this.detectPrompt(logger, body);
  }

  /** A prompt is an unfinished last line (no newline yet) that matches the pattern. */
  private detectPrompt(logger: SessionLogger, text: string): void {
    const newline = text.lastIndexOf('\n');
    this.tail = newline === -1 ? this.tail + text : text.slice(newline + 1);
    if (this.tail.length > MAX_PROMPT_LINE) this.tail = this.tail.slice(-MAX_PROMPT_LINE);
    if (this.tail !== '' && this.options.promptPattern.re.test(this.tail)) {
      logger.emit('prompt.detected', this.tail, { stream: this.name });
      this.tail = '';
    }
  }
}
