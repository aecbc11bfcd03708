// `node --import ./load-tracker.mjs ...`: append the URL of every module the ESM loader loads
// (packages' entry points included, CommonJS ones too) to $QOSPROBE_LOAD_LOG.
import { register } from 'node:module';

register('./load-tracker-hooks.mjs', import.meta.url, { data: { file: process.env.QOSPROBE_LOAD_LOG } });
