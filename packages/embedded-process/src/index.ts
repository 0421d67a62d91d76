export { findExecutable, isExecutableFile } from './find-executable.js';
export { findFreePort } from './free-port.js';
export { ensureOsPackages, type OsRequirement } from './install-os-packages.js';
export { createOutputTail, type OutputTail } from './output-tail.js';
export { ProcessStartError, saysPortInUse } from './process-start-error.js';
export { type SupervisedChild, startChild, type StartChildOptions } from './supervised-child.js';
