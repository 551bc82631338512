// transformers.js's tokenizer from a folder's tokenizer.json: encodes each string (no special tokens added) and decodes
// the ids back. usage: node tokenize.mjs FOLDER STRINGS.json OUT.json
import fs from 'node:fs';
import path from 'node:path';
import { env, AutoTokenizer } from '@huggingface/transformers';

const [folder, stringsFile, outFile] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(folder)) + path.sep;
const tokenizer = await AutoTokenizer.from_pretrained(path.basename(path.resolve(folder)));
const strings = JSON.parse(fs.readFileSync(stringsFile, 'utf8'));
const out = strings.map((s) => {
  const ids = tokenizer.encode(s, { add_special_tokens: false });
  return { ids, decoded: ids.length ? tokenizer.decode(ids) : '' };
});
fs.writeFileSync(outFile, JSON.stringify(out));
