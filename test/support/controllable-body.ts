/**
 * A request body the test feeds by hand: some bytes now, the rest (or nothing) when the test
 * says, so a "slow" or stalled client is a state, never a sleep.
 */
export interface ControllableBody {
  stream: ReadableStream<Uint8Array>;
  push(bytes: Uint8Array): void;
  end(): void;
}

export function controllableBody(): ControllableBody {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    stream,
    push: (bytes) => controller.enqueue(new Uint8Array(bytes)),
    end: () => controller.close(),
  };
}

/** fetch() options for a streamed request body (Node's fetch needs `duplex: 'half'`). */
export function streamedBody(body: ControllableBody, headers: Record<string, string>): RequestInit {
  return { method: 'PUT', headers, body: body.stream, duplex: 'half' } as RequestInit;
}
