// Object storage through the MinIO client (any S3-compatible endpoint).
import { Client } from 'minio';

export interface Storage {
  client: Client;
  bucket: string;
}

export function createStorage(
  endpoint: string,
  accessKey: string,
  secretKey: string,
  bucket: string,
  region: string,
): Storage {
  const u = new URL(endpoint);
  const useSSL = u.protocol === 'https:';
  const client = new Client({
    endPoint: u.hostname,
    port: u.port ? Number(u.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey,
    secretKey,
    region,
    pathStyle: true,
  });
  return { client, bucket };
}

/** Create the bucket when it does not exist yet (idempotent). */
export async function ensureBucket(storage: Storage, region: string): Promise<void> {
  if (await storage.client.bucketExists(storage.bucket)) return;
  try {
    await storage.client.makeBucket(storage.bucket, region);
  } catch (err) {
    // another replica may have created it between the two calls
    if (!(await storage.client.bucketExists(storage.bucket))) throw err;
  }
}
