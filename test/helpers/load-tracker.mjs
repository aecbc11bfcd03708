// `node --import ./load-tracker.mjs ...`: append the URL of every module the ESM loader loads
// (packages' entry points included, CommonJS ones too) to $QOSPROBE_LOAD_LOG, and `read <path>` for every file
// read through node:fs (the CLI is one bundled module, so what it evaluates shows in the files it reads).
import fs from 'node:fs';
import { register, syncBuiltinESMExports } from 'node:module';

const log = process.env.QOSPROBE_LOAD_LOG;
register('./load-tracker-hooks.mjs', import.meta.url, { data: { file: log } });

if (log) {
  const note = (path) => fs.appendFileSync(log, `read ${path instanceof URL ? path.pathname : String(path)}\n`);
  const { readFile, readFileSync } = fs;
  const promisesReadFile = fs.promises.readFile;
  fs.readFile = (path, ...rest) => (note(path), readFile(path, ...rest));
  fs.readFileSync = (path, ...rest) => (typeof path !== 'number' && note(path), readFileSync(path, ...rest));
  fs.promises.readFile = (path, ...rest) => (note(path), promisesReadFile(path, ...rest));
  syncBuiltinESMExports();
}
