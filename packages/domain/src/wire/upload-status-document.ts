import type { ErrorRecord } from '../errors/longshore-error.js';
import type { UploadStatus } from '../uploads/upload-rules.js';
import { wireEntry } from './wire-table.js';

/** What the status document shows of an upload (the metadata store's UploadRecord has these). */
export interface UploadStatusFacts {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  status: UploadStatus;
  bytesReceived: number;
  partsReceived: number;
  jobId?: string;
  layerDigest?: string;
  layerSize?: number;
  error?: ErrorRecord;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
}

/**
 * An upload's status on the wire, as the /v1 status API shows it and as callbacks deliver it:
 * one document for the whole life of the upload, timestamps in ISO 8601 UTC.
 */
export interface UploadStatusDocument {
  id: string;
  uploadId: string;
  repositoryName: string;
  registryId: string;
  status: UploadStatus;
  bytesReceived: number;
  partsReceived: number;
  jobId: string | null;
  layerDigest: string | null;
  layerSize: number | null;
  error: { code: string; name: string; message: string } | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toStatusDocument(record: UploadStatusFacts): UploadStatusDocument {
  return {
    id: record.uploadId,
    uploadId: record.uploadId,
    repositoryName: record.repositoryName,
    registryId: record.registryId,
    status: record.status,
    bytesReceived: record.bytesReceived,
    partsReceived: record.partsReceived,
    jobId: record.jobId ?? null,
    layerDigest: record.layerDigest ?? null,
    layerSize: record.layerSize ?? null,
    error: record.error
      ? { code: wireEntry(record.error.name).code, name: record.error.name, message: record.error.message }
      : null,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    completed_at: record.completedAt ? isoTime(record.completedAt) : null,
  };
}
