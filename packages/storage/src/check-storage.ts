import type { StorageDriver } from './storage-driver.js';

/** Readiness of the storage: a small object can be written and removed (under `readyz/`). */
export async function checkStorage(storage: Pick<StorageDriver, 'putContent' | 'delete'>): Promise<void> {
  const probe = `readyz/${process.pid}`;
  await storage.putContent(probe, Buffer.from(String(Date.now())));
  await storage.delete(probe);
}
