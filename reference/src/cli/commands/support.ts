// Helpers shared by the operator commands.
import { readFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../../common/config.js';

/** Operator commands act with the api service's configuration. */
export function operatorConfig(): Config {
  return loadConfig('api');
}

export async function readSecretFile(path: string, what: string): Promise<string> {
  const value = (
    await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        err.code === 'ENOENT'
          ? `${what} file ${path} does not exist`
          : `${what} file ${path} cannot be read (${err.code ?? err.message})`,
      );
    })
  ).trim();
  if (!value) throw new Error(`${what} file ${path} is empty`);
  return value;
}
