import { Command, Option } from 'commander';
import { CredentialsError } from '@longshore/auth';
import { ConfigError, loadConfig, type Config } from '@longshore/config';
import { CliError } from './cli-error.js';
import { connect, type Registry } from './connect.js';
import { liftBlock, listBlocks } from './commands/blocks.js';
import { runGc } from './commands/gc-run.js';
import { createKey, listKeys, revokeKey, rotateKey } from './commands/keys.js';
import { runRebuildIndex } from './commands/rebuild-index.js';
import { runStatus } from './commands/status.js';
import { createKeyAudit, type KeyAudit } from './key-audit.js';
import { createOutput, type Output } from './output.js';

/**
 * `npx longshore <command>`: the admin command line. It reads the same settings as the service
 * (the environment: REDIS_URL, DATA_DIR, STORAGE, CREDENTIALS_FILE, QUEUE_PREFIX, …) and, with
 * the embedded Redis, finds the running instance's through DATA_DIR. `--json` on any command
 * prints one JSON document for scripts.
 */
const program = new Command('longshore')
  .description('Administer a Longshore registry: keys, garbage collection, the index, status')
  .addOption(new Option('--json', 'print the result as JSON (for scripts)'))
  .showHelpAfterError();

const outputOf = (command: Command): Output => createOutput(Boolean(command.optsWithGlobals().json));
const config = (): Config => loadConfig(process.env);

/** Key changes are audit lines in AUDIT_LOG (door `cli`), as the service's mutations are. */
async function withKeyAudit<T>(config: Config, work: (audit: KeyAudit) => Promise<T>): Promise<T> {
  const audit = createKeyAudit(config.auditLog);
  try {
    return await work(audit);
  } finally {
    audit.close();
  }
}

async function withRegistry<T>(work: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = await connect(config());
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

const keys = program.command('keys').description('access keys in CREDENTIALS_FILE (the service reloads it)');
keys
  .command('create')
  .description('create a key; its secret is printed once')
  .option('--actions <actions...>', 'ECR actions it may perform', ['ecr:*'])
  .option('--repositories <patterns...>', 'repository name patterns (wildcards * and ?)', ['*'])
  .option('--description <text>', 'what the key is for')
  .action(async (options: { actions: string[]; repositories: string[]; description?: string }, command: Command) => {
    const settings = config();
    await withKeyAudit(settings, (audit) => createKey(settings, outputOf(command), audit, options));
  });
keys
  .command('list')
  .description('list keys and their grants (never secrets)')
  .action(async (_options, command: Command) => {
    await listKeys(config(), outputOf(command));
  });
keys
  .command('revoke')
  .description('remove a key')
  .argument('<accessKeyId>')
  .action(async (accessKeyId: string, _options, command: Command) => {
    const settings = config();
    await withKeyAudit(settings, (audit) => revokeKey(settings, outputOf(command), audit, accessKeyId));
  });
keys
  .command('rotate')
  .description('give a key a new secret (printed once); the old one stops working')
  .argument('<accessKeyId>')
  .action(async (accessKeyId: string, _options, command: Command) => {
    const settings = config();
    await withKeyAudit(settings, (audit) => rotateKey(settings, outputOf(command), audit, accessKeyId));
  });

const blocks = program
  .command('blocks')
  .description('sources and key ids throttled for failing authentication (AUTH_FAILURE_LIMIT)');
blocks
  .command('list')
  .description('list the blocked (source, key id) pairs and until when')
  .action(async (_options, command: Command) => {
    await withRegistry((registry) => listBlocks(registry, outputOf(command)));
  });
blocks
  .command('lift')
  .description('lift a block at once')
  .argument('<source>', 'the client address, as `blocks list` shows it')
  .argument('[accessKeyId]', 'the key id it claimed (none: the failures without a key id)')
  .action(async (source: string, accessKeyId: string | undefined, _options, command: Command) => {
    await withRegistry((registry) => liftBlock(registry, outputOf(command), source, accessKeyId));
  });

program
  .command('gc')
  .description('garbage collection')
  .command('run')
  .description('run one garbage collection on the workers now and print its report')
  .action(async (_options, command: Command) => {
    await withRegistry((registry) => runGc(registry, outputOf(command)));
  });

program
  .command('rebuild-index')
  .description('rebuild every Redis index from the records in the storage (after losing Redis)')
  .action(async (_options, command: Command) => {
    await withRegistry((registry) => runRebuildIndex(registry, outputOf(command)));
  });

program
  .command('status')
  .description('queue depths, worker processes, Redis and storage')
  .action(async (_options, command: Command) => {
    await withRegistry((registry) => runStatus(registry, outputOf(command)));
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const known = error instanceof CliError || error instanceof ConfigError || error instanceof CredentialsError;
  const message = known ? (error as Error).message : `longshore failed: ${(error as Error).stack ?? String(error)}`;
  if (program.opts().json) process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}
