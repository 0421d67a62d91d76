/**
 * POSTs `body` to a receiver (a callback URL or an events webhook): redirects are not followed,
 * the answer's body is not read, and anything but a 2xx answer within `timeoutMs` throws (the
 * queue then retries). `receiver` names it in that error. Resolves with the status.
 */
export async function postToReceiver(
  url: string,
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
  receiver: string,
): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${receiver} answered ${response.status}`);
  }
  return response.status;
}
