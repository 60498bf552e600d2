/**
 * Reads the explorer's files (the page, its script and style sheet) from the `explorer/` folder
 * at the root of the package, next to `dist/`: plain files, served as they are written.
 */
import { readdir, readFile } from 'node:fs/promises';

/** The `explorer/` folder, found from this module in `dist/src/infrastructure/`. */
const EXPLORER_DIR = new URL('../../../explorer/', import.meta.url);

/** Every file of the folder with its bytes. */
export async function readExplorerAssets(
  dir: URL = EXPLORER_DIR,
): Promise<Array<{ name: string; body: Uint8Array }>> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({ name, body: await readFile(new URL(name, dir)) })),
  );
}
