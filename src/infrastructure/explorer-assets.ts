/**
 * Reads the explorer's files (the page, its script and style sheet) from the `explorer/` folder
 * at the root of the package, next to `dist/`: plain files, served as they are written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The `explorer/` folder, found from this module in `dist/src/infrastructure/`. */
const EXPLORER_DIR = new URL('../../../explorer/', import.meta.url);

/** The explorer is on but its files cannot be read: the service does not start. */
export class ExplorerAssetsError extends Error {
  override readonly name = 'ExplorerAssetsError';
}

/** Every file of the folder with its bytes; the page itself must be among them. */
export async function readExplorerAssets(
  dir: URL = EXPLORER_DIR,
): Promise<Array<{ name: string; body: Uint8Array }>> {
  const where = fileURLToPath(dir);
  const fix = 'copy the explorer/ folder next to dist/, or set EXPLORER=off';
  try {
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
    if (!names.includes('index.html')) {
      throw new ExplorerAssetsError(`${where} has no index.html: ${fix}`);
    }
    return await Promise.all(
      names.map(async (name) => ({ name, body: await readFile(new URL(name, dir)) })),
    );
  } catch (cause) {
    if (cause instanceof ExplorerAssetsError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ExplorerAssetsError(`cannot read ${where} (${code}): ${fix}`, { cause });
  }
}
