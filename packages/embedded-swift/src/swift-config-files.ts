/** Where and how one single-node Swift runs: every path absolute, every port on `host`. */
export interface SwiftLayout {
  host: string;
  /** Holds the rings and the config files (Swift's `swift_dir`). */
  swiftDir: string;
  /** Holds the one storage device, `<devicesDir>/d1`. */
  devicesDir: string;
  /** The account the servers drop privileges to (the current user). */
  user: string;
  ports: { proxy: number; account: number; container: number; object: number; memcached: number };
  /** The tempauth account, user and key; S3 clients sign with `<account>:<user>` and the key. */
  credentials: { account: string; user: string; key: string };
  /** The region s3api reports as every bucket's location. */
  region: string;
}

export const DEVICE_NAME = 'd1';

export type BackendServer = 'account' | 'container' | 'object';

function defaults(layout: SwiftLayout, port: number): string {
  return `[DEFAULT]
bind_ip = ${layout.host}
bind_port = ${port}
# Give up at once on a taken port (the default retries for 30 s): the caller picks others.
bind_timeout = 1
# One process, no forked workers: quick to start, one pid to stop.
workers = 0
user = ${layout.user}
swift_dir = ${layout.swiftDir}
log_level = WARNING
`;
}

/** account-server.conf, container-server.conf or object-server.conf. */
export function backendServerConf(server: BackendServer, layout: SwiftLayout): string {
  return `${defaults(layout, layout.ports[server])}devices = ${layout.devicesDir}
# The device is a directory in a temporary directory, not a mount point.
mount_check = false
disable_fallocate = true

[pipeline:main]
pipeline = ${server}-server

[app:${server}-server]
use = egg:swift#${server}

[${server}-replicator]
[${server}-updater]
[${server}-auditor]
`;
}

/**
 * proxy-server.conf: the S3 API (s3api) in front of Swift, authenticated by tempauth, which
 * checks S3 signatures (v2, v4 and presigned URLs) against the one configured user's key.
 * Large limits match S3's: 10,000 parts per multipart upload.
 */
export function proxyServerConf(layout: SwiftLayout): string {
  const { account, user, key } = layout.credentials;
  return `${defaults(layout, layout.ports.proxy)}
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
# s3api creates the account's Swift account on first use.
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = ${layout.host}:${layout.ports.memcached}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:s3api]
use = egg:swift#s3api
location = ${layout.region}
max_upload_part_num = 10000

[filter:tempauth]
use = egg:swift#tempauth
user_${account}_${user} = ${key} .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000

[filter:dlo]
use = egg:swift#dlo
`;
}
