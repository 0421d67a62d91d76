import http from 'node:http';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  ECRClient,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadedDigest } from '../support/download-layer.js';
import { MiB, randomLayer, type Layer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { sampleSum, scrapeMetrics } from '../support/prometheus-text.js';
import { testAdminKey } from '../support/request-signing.js';

const GUESSES = 'longshore_ecr_part_hash_guesses_total';

/**
 * A large UploadLayerPart is hashed on a hash thread while its body arrives, from a GUESS of the
 * layer's state before it (the state the connection's previous part left: the real one comes
 * with the claim, after the body). These tests hold the door to the claim's state: parts of
 * random sizes on one connection (every guess right), and guesses made wrong on purpose, by two
 * uploads sharing a connection and by one upload's parts alternating between two connections.
 * Every layer must complete with the SHA-256 of its bytes, served as such.
 */
describe('ECR parts hashed as they arrive, from a guessed layer state', () => {
  let longshore: Longshore;
  const repositoryName = 'guessed/states';
  const agents: http.Agent[] = [];

  /** An SDK client on a connection of its own (one socket, kept alive), as a sequential pusher uses. */
  function oneConnectionClient(): ECRClient {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return new ECRClient({
      endpoint: longshore.endpoint,
      region: 'us-east-1',
      credentials: { ...testAdminKey },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
  }

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: '1' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    for (const agent of agents) agent.destroy();
    await longshore?.close();
  });

  const guesses = async () => {
    const scrape = await scrapeMetrics(longshore.metricsUrl);
    return {
      hit: sampleSum(scrape, GUESSES, { outcome: 'hit' }),
      miss: sampleSum(scrape, GUESSES, { outcome: 'miss' }),
    };
  };
  const served = (digest: string) =>
    downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest);

  /** Random part ends: every part over the inline-hash bound (256 KiB), so it is decoded into a slot. */
  function randomParts(size: number): [number, number][] {
    const parts: [number, number][] = [];
    const least = 300 * 1024;
    for (let first = 0; first < size; ) {
      let length = Math.min(size - first, least + Math.floor(Math.random() * 2 * MiB));
      // No short part at the end: the rest joins this part.
      if (size - first - length < least) length = size - first;
      parts.push([first, first + length - 1]);
      first += length;
    }
    return parts;
  }

  const sendPart = (ecr: ECRClient, uploadId: string, layer: Layer, [first, last]: [number, number]) =>
    ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: first,
        partLastByte: last,
        layerPartBlob: layer.bytes.subarray(first, last + 1),
      }),
    );
  const complete = async (ecr: ECRClient, uploadId: string, layer: Layer) =>
    (await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] })))
      .layerDigest;

  it('uses every guess of a sequential pusher, and parts of random sizes give the one-shot digest', async () => {
    const ecr = oneConnectionClient();
    const layer = randomLayer(9 * MiB + 4321);
    const parts = randomParts(layer.bytes.length);
    const before = await guesses();
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    for (const part of parts) await sendPart(ecr, uploadId!, layer, part);
    expect(await complete(ecr, uploadId!, layer)).toBe(layer.digest);
    expect(await served(layer.digest)).toBe(layer.digest);
    const after = await guesses();
    expect(after.hit - before.hit).toBe(parts.length);
    expect(after.miss - before.miss).toBe(0);
  });

  it('hashes again from the claim when two uploads share a connection (every guess but the first wrong)', async () => {
    const ecr = oneConnectionClient();
    const layers = [randomLayer(5 * MiB + 17), randomLayer(4 * MiB + 3)];
    const uploadIds: string[] = [];
    for (const _ of layers)
      uploadIds.push((await ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!);
    const parts = layers.map((layer) => randomParts(layer.bytes.length));
    const before = await guesses();
    let sent = 0;
    // A guess holds when the part before it on the connection was the same upload's: once one
    // layer has no parts left, the other's follow one another (random part counts).
    let sameUploadAsBefore = 0;
    let previous: number | undefined;
    for (let i = 0; i < Math.max(...parts.map((p) => p.length)); i += 1) {
      for (const [n, layer] of layers.entries()) {
        const part = parts[n]![i];
        if (!part) continue;
        await sendPart(ecr, uploadIds[n]!, layer, part);
        if (previous === n) sameUploadAsBefore += 1;
        previous = n;
        sent += 1;
      }
    }
    for (const [n, layer] of layers.entries()) {
      expect(await complete(ecr, uploadIds[n]!, layer)).toBe(layer.digest);
      expect(await served(layer.digest)).toBe(layer.digest);
    }
    const after = await guesses();
    // The first part follows the second InitiateLayerUpload: its guess (the empty state) holds.
    expect(sent - 1 - sameUploadAsBefore).toBeGreaterThan(0);
    expect(after.hit - before.hit).toBe(1 + sameUploadAsBefore);
    expect(after.miss - before.miss).toBe(sent - 1 - sameUploadAsBefore);
  });

  it("hashes again from the claim when one upload's parts alternate between two connections", async () => {
    const clients = [oneConnectionClient(), oneConnectionClient()];
    const layer = randomLayer(8 * MiB + 99);
    const parts = randomParts(layer.bytes.length);
    const before = await guesses();
    const { uploadId } = await clients[0]!.send(new InitiateLayerUploadCommand({ repositoryName }));
    // Each connection guesses the state its own last part left; the other's part changed it since.
    for (const [i, part] of parts.entries()) await sendPart(clients[i % 2]!, uploadId!, layer, part);
    expect(await complete(clients[0]!, uploadId!, layer)).toBe(layer.digest);
    expect(await served(layer.digest)).toBe(layer.digest);
    const after = await guesses();
    expect(after.hit - before.hit).toBe(1);
    expect(after.miss - before.miss).toBe(parts.length - 1);
  });
});
