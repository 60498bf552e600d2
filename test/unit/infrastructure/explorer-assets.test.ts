/**
 * The explorer's files at boot: all of them read, and a folder that is missing or has no page
 * stops the service with one sentence naming EXPLORER and the fix, never a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  ExplorerAssetsError,
  readExplorerAssets,
} from '../../../src/infrastructure/explorer-assets.js';
import { bootFailure } from '../../../src/server.js';

const folder = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, url: pathToFileURL(`${dir}/`) };
};

describe('the explorer files', () => {
  it("reads the package's own folder: the page, its script and its style sheet", async () => {
    const names = (await readExplorerAssets()).map((asset) => asset.name);
    assert.deepEqual(names, ['explorer.css', 'explorer.js', 'index.html']);
  });

  it('a missing folder is a boot failure naming EXPLORER, the folder and the fix', async () => {
    const { dir, url } = folder({});
    rmSync(dir, { recursive: true });
    const error = await readExplorerAssets(url).catch((caught: unknown) => caught);
    assert.ok(error instanceof ExplorerAssetsError);
    assert.equal(
      bootFailure(error),
      `EXPLORER: cannot read ${dir}/ (ENOENT): copy the explorer/ folder next to dist/, or set EXPLORER=off`,
    );
  });

  it('a folder without the page is a boot failure too', async () => {
    const { dir, url } = folder({ 'explorer.js': '' });
    try {
      await assert.rejects(readExplorerAssets(url), {
        name: 'ExplorerAssetsError',
        message: `${dir}/ has no index.html: copy the explorer/ folder next to dist/, or set EXPLORER=off`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
