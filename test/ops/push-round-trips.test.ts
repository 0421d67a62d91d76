import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, randomLayer } from '../support/layer-data.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';
import { redisClientsOf } from '../support/process-redis-clients.js';
import { RedisMonitor } from '../support/redis-monitor.js';

/**
 * The Redis commands the API sends on a push's critical path, counted with MONITOR on a lone
 * push: the checks that live in other Redis Cluster slots (the repository, its layer links) are
 * read alongside the upload's own reads or scripts, never one after another, a small part is
 * written after a read and committed without a claim, and a monolithic PUT commits its body and
 * begins the completion in one script: one durable write of the API's before the hand-over. Only the commands about this
 * upload and its repository count (the finalize queue's own commands are BullMQ's, not these).
 */
describe("the API's Redis round trips per push", () => {
  let longshore: Longshore;
  let redis: Redis;
  let monitor: RedisMonitor;
  let marker = 0;

  beforeAll(async () => {
    longshore = await startLongshore();
    redis = new Redis(longshore.redisUrl);
    monitor = await RedisMonitor.start(longshore.redisUrl);
  });
  afterAll(async () => {
    monitor?.stop();
    await redis?.quit();
    await longshore?.close();
  });

  /**
   * The commands the API sent about `uploadId` (its keys, the repositories hash, the repository's
   * layer links) while `act` ran, in the order Redis ran them. MONITOR delivers lines after the
   * commands ran: a marker sent afterwards, once seen, says every earlier line is in.
   */
  async function commandsOf(
    uploadId: string,
    repositoryName: string,
    act: () => Promise<void>,
    apiPid = longshore.api.child.pid!,
  ) {
    const api = new Set((await redisClientsOf(apiPid, redis, longshore.redisUrl)).map((client) => client.addr));
    monitor.commands.length = 0;
    await act();
    const echo = `round-trips-marker-${++marker}`;
    await redis.echo(echo);
    await expect.poll(() => monitor.commands.some((line) => line.args.includes(echo))).toBe(true);
    const about = [
      `{upload:${uploadId}}`,
      longshore.keys.repositories,
      longshore.keys.layers(repositoryName),
      longshore.keys.uploadEvents(uploadId),
    ];
    // EVAL is a script's first run on this Redis (runScript's fallback after NOSCRIPT): the same call again.
    return monitor.commands
      .filter((line) => api.has(line.source) && line.args[0]?.toLowerCase() !== 'eval')
      .filter((line) => line.args.some((arg) => about.some((key) => arg.includes(key))))
      .map((line) => ({ command: line.args[0]!.toLowerCase(), queues: line.args.includes(about[3]!) }));
  }

  /** The commands until (and with) the one that queues the upload (it announces on the upload's channel). */
  const untilQueued = (commands: { command: string; queues: boolean }[]) =>
    commands.slice(0, commands.findIndex((c) => c.queues) + 1).map((c) => c.command);

  async function startV2(repositoryName: string): Promise<string> {
    const started = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    return started.headers.get('location')!;
  }

  it('a /v2 monolithic PUT: the session and the checks in one round trip, then one script that commits and queues (no claim)', async () => {
    const repositoryName = 'round-trips/v2';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    for (const round of [0, 1]) {
      // The first round is a warm-up (connections, scripts); the second is counted.
      const location = await startV2(repositoryName);
      const uploadId = location.slice(location.lastIndexOf('/') + 1);
      const layer = randomLayer(64 * 1024);
      const commands = await commandsOf(uploadId, repositoryName, async () => {
        const put = await longshore.fetch(`${location}?digest=${layer.digest}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: layer.bytes,
        });
        expect(put.status).toBe(201);
      });
      if (round === 0) continue;
      const critical = untilQueued(commands);
      // Reads sent together (their order within the round trip is the client's), then one script:
      // a small body is written without a claim and committed with the completion's start.
      expect([...critical.slice(0, 3)].sort()).toEqual(['hexists', 'hgetall', 'hmget']);
      expect(critical.slice(3)).toEqual(['evalsha']);
    }
  });

  it('a /v2 POST creates the upload with one HSET of every field', async () => {
    const repositoryName = 'round-trips/v2';
    monitor.commands.length = 0;
    const location = await startV2(repositoryName);
    const key = `{upload:${location.slice(location.lastIndexOf('/') + 1)}}`;
    const echo = `round-trips-marker-${++marker}`;
    await redis.echo(echo);
    await expect.poll(() => monitor.commands.some((line) => line.args.includes(echo))).toBe(true);
    // Commands a script runs are shown with the source 'lua'.
    const writes = monitor.commands.filter(
      (line) => line.args[1]?.includes(key) && line.args[0]?.toLowerCase() === 'hset',
    );
    expect(writes.length).toBe(1);
    expect(writes[0]!.source).toBe('lua');
  });

  it('the ECR door: a small part of an upload this process left is committed by one script, no read; a completion reads its checks together', async () => {
    const repositoryName = 'round-trips/ecr';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    // Parts other than the last are at least 5 MiB (ECR's minimum); the first's memory is the door's decode slot.
    const half = 5 * 1024 * 1024;
    const layer = randomLayer(half + 64 * 1024);
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const partCommands = async (first: number, last: number) =>
      (
        await commandsOf(uploadId!, repositoryName, async () => {
          await longshore.ecr.send(
            new UploadLayerPartCommand({
              repositoryName,
              uploadId,
              partFirstByte: first,
              partLastByte: last,
              layerPartBlob: layer.bytes.subarray(first, last + 1),
            }),
          );
        })
      ).map((c) => c.command);
    // The upload as initiate left it, then as the first part's commit left it: no record read,
    // the repository checked by the commit's own script.
    expect(await partCommands(0, half - 1)).toEqual(['evalsha']);
    expect(await partCommands(half, layer.bytes.length - 1)).toEqual(['evalsha']);

    const completion = await commandsOf(uploadId!, repositoryName, async () => {
      await longshore.ecr.send(
        new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(layer.bytes)] }),
      );
    });
    const critical = untilQueued(completion);
    expect(critical.slice(0, 2).sort()).toEqual(['hexists', 'hmget']);
    expect(critical.slice(2)).toEqual(['evalsha']);
  });

  it('the ECR door: a small part arriving at another API process reads the upload with the repository check', async () => {
    const repositoryName = 'round-trips/ecr-other-process';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const other = await longshore.startApi();
    const otherEcr = ecrClient(`http://127.0.0.1:${other.port}`);
    const layer = randomLayer(64 * 1024);
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const part = await commandsOf(
      uploadId!,
      repositoryName,
      async () => {
        await otherEcr.send(
          new UploadLayerPartCommand({
            repositoryName,
            uploadId,
            partFirstByte: 0,
            partLastByte: layer.bytes.length - 1,
            layerPartBlob: layer.bytes,
          }),
        );
      },
      other.child.pid!,
    );
    const names = part.map((c) => c.command);
    expect(names.slice(0, 2).sort()).toEqual(['hexists', 'hgetall']);
    expect(names.slice(2)).toEqual(['evalsha']);
    otherEcr.destroy();
    await other.stop();
  });
});
