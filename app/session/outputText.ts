const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How many bytes at the end of `chunk` start a UTF-8 character that the next chunk
 * completes. Holding them back keeps a pipe's chunk boundary from turning text into base64.
 */
export function incompleteUtf8Tail(chunk: Uint8Array): number {
  const last = Math.min(3, chunk.length);
  for (let back = 1; back <= last; back++) {
    const byte = chunk[chunk.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    if (byte < 0x80) return 0;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** The text of `bytes` when it is UTF-8 (so redaction applies), else the bytes (written as base64). */
export function textOrBytes(bytes: Uint8Array): string | Uint8Array {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes;
  }
}
