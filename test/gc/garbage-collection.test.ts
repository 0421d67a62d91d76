import { describeGarbageCollection } from '../support/garbage-collection-scenarios.js';

describeGarbageCollection('blob garbage collection (filesystem, Redis)');
