import { open } from 'node:fs/promises';
import { AppError, messageOf } from '../../errors/src/index.js';

/**
 * Checks putFile's source is a regular file this process can read, and returns its size in bytes.
 * Throws TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE (not retryable) naming the path and the key.
 */
export async function uploadFileSize(localPath: string, key: string, location: string): Promise<number> {
  try {
    const handle = await open(localPath, 'r');
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error('not a regular file');
      return stats.size;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new AppError('TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE', `cannot upload ${localPath} to ${JSON.stringify(key)} in ${location}: ${messageOf(error)}`, {
      cause: error, context: { key, file: localPath },
    });
  }
}
