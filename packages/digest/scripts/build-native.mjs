// Builds the native addons (src/native) into dist/native/: longshore_sha256.node (the resumable
// SHA-256) and longshore_base64.node (the ECR door's base64 decoder, see longshore_base64.c).
//
// Offline by design: node-gyp is pointed at the headers of the Node that runs this script
// (`<prefix>/include/node`: node_api.h and Node's own OpenSSL headers), so it never downloads
// anything. The addons link against nothing: the OpenSSL SHA-256 symbols are resolved against the
// node binary at load time. Any failure (no compiler, no python3, no headers) is a warning, never a
// failed build: the package then uses hash-wasm, and the ECR door Node's own base64 decoder.
// LONGSHORE_NATIVE_SHA256=0 skips the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'native');
const addons = ['longshore_sha256', 'longshore_base64'];
const targetOf = (addon) => join(root, 'dist', 'native', `${addon}.node`);

function skip(reason) {
  for (const addon of addons) rmSync(targetOf(addon), { force: true });
  console.warn(
    `@longshore/digest: native addons not built (${reason}); hash-wasm and Node's base64 decoder will be used`,
  );
  process.exit(0);
}

if (process.env.LONGSHORE_NATIVE_SHA256 === '0') skip('LONGSHORE_NATIVE_SHA256=0');

const nodedir = join(dirname(process.execPath), '..');
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  skip(`no Node headers under ${join(nodedir, 'include', 'node')}`);
}
const nodeGyp = [
  process.env.npm_config_node_gyp,
  join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((file) => file && existsSync(file));
if (!nodeGyp) skip('node-gyp not found (it ships with npm)');

const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: source,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (build.status !== 0) {
  // The compiler's own complaint, not node-gyp's trailer of versions and paths.
  const lines = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n');
  const cause = lines
    .filter((line) => /error|not found|no such/i.test(line) && !line.startsWith('gyp ERR!'))
    .slice(0, 3);
  skip(`node-gyp failed: ${build.error?.message ?? (cause.length ? cause : lines.slice(-3)).join(' | ')}`);
}
mkdirSync(dirname(targetOf(addons[0])), { recursive: true });
for (const addon of addons) copyFileSync(join(source, 'build', 'Release', `${addon}.node`), targetOf(addon));
rmSync(join(source, 'build'), { recursive: true, force: true });
