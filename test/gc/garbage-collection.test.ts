import { describeGarbageCollection } from '../support/garbage-collection-scenarios.js';
import { e2eBackend } from '../support/test-backend.js';

// The project chooses the backend: filesystem + Redis (e2e) or S3 + Redis Cluster (e2e-s3-cluster).
describeGarbageCollection(`blob garbage collection (${e2eBackend()})`);
