/** The URLs the /v2 door hands out, relative to the registry (clients resolve them against the request). */
export const blobLocation = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
export const uploadLocation = (name: string, uploadId: string) => `/v2/${name}/blobs/uploads/${uploadId}`;
export const manifestLocation = (name: string, digest: string) => `/v2/${name}/manifests/${digest}`;
