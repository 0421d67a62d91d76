import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEVICE_NAME, type SwiftLayout } from './swift-config-files.js';
import { SwiftStartError } from './swift-start-error.js';

const run = promisify(execFile);

/**
 * One Python run, with Swift's own RingBuilder (what `swift-ring-builder create/add/rebalance`
 * does, without nine interpreter starts): checks that the device directory takes the extended
 * attributes the object server stores metadata in, then writes account, container and object
 * rings of one replica on one device, each pointing at its server's port.
 */
const SCRIPT = `
import os, sys
from swift.common.ring import RingBuilder
swift_dir, device_dir, host = sys.argv[1:4]
try:
    os.setxattr(device_dir, 'user.longshore.probe', b'1')
    os.removexattr(device_dir, 'user.longshore.probe')
except OSError as e:
    sys.exit('the file system of %s does not support user extended attributes (%s); Swift needs them: set TMPDIR to a directory on ext4 or xfs' % (device_dir, e))
for name, port in zip(('account', 'container', 'object'), sys.argv[4:7]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': host, 'port': int(port), 'device': '${DEVICE_NAME}', 'weight': 100, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save(os.path.join(swift_dir, name + '.ring.gz'))
`;

export async function buildRings(python: string, layout: SwiftLayout, deviceDir: string): Promise<void> {
  const { ports } = layout;
  const args = ['-c', SCRIPT, layout.swiftDir, deviceDir, layout.host];
  args.push(String(ports.account), String(ports.container), String(ports.object));
  try {
    await run(python, args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new SwiftStartError('building the Swift rings failed', stderr.trim().split('\n').slice(-10), false);
  }
}
