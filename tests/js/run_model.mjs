// Loads an exported hub folder with transformers.js (from_pretrained, local files only) and runs it as a user would.
// usage: node run_model.mjs FOLDER DTYPE forward|generate INPUTS.json OUT.json
//   INPUTS.json: {"input_ids": [[...]], "pixel_values": [...] (NCHW, flat), "pixel_shape": [1, 3, H, W], "max_new_tokens": N}
//   forward writes {"dims": [...], "logits": [...]}; generate writes {"sequences": [[...]]} (greedy).
import fs from 'node:fs';
import path from 'node:path';
import { env, PaliGemmaForConditionalGeneration, Tensor } from '@huggingface/transformers';

const [folder, dtype, mode, inputsFile, outFile] = process.argv.slice(2);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(folder)) + path.sep;

const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
const model = await PaliGemmaForConditionalGeneration.from_pretrained(path.basename(path.resolve(folder)), { dtype });
const ids = inputs.input_ids;
const input_ids = new Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, ids[0].length]);
const attention_mask = new Tensor('int64', new BigInt64Array(ids.length * ids[0].length).fill(1n), input_ids.dims);
const pixel_values = new Tensor('float32', Float32Array.from(inputs.pixel_values), inputs.pixel_shape);

let result;
if (mode === 'forward') {
  const { logits } = await model({ input_ids, attention_mask, pixel_values });
  result = { dims: logits.dims, logits: Array.from(logits.data) };
} else {
  const out = await model.generate({ input_ids, attention_mask, pixel_values, max_new_tokens: inputs.max_new_tokens, do_sample: false });
  result = { sequences: out.tolist().map((row) => row.map(Number)) };
}
fs.writeFileSync(outFile, JSON.stringify(result));
await model.dispose();
