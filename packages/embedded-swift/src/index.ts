export { SWIFT_OS_PACKAGES } from './swift-binaries.js';
export { SwiftNotFoundError } from './swift-not-found-error.js';
export { SwiftStartError } from './swift-start-error.js';
export { type EmbeddedSwift, type EmbeddedSwiftOptions, startEmbeddedSwift } from './start-embedded-swift.js';
