// transformers.js's own generation speed on an export folder: AutoProcessor, then greedy generate() for one new token
// (the prefill) and for N (the prefill and the decode steps), timed apart after one untimed warm-up call (ONNX
// Runtime's first run of a session is slower).
// usage: node generate_js.mjs FOLDER DTYPE IMAGE PROMPT N   -> prints JSON {prefill_seconds, decode_tokens_per_second, ids}
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(path.resolve('tests/js') + '/');
const { env, AutoProcessor, PaliGemmaForConditionalGeneration, RawImage } = await import(require.resolve('@huggingface/transformers'));

const [folder, dtype, imageFile, prompt, n] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(folder)) + path.sep;
const id = path.basename(path.resolve(folder));
const processor = await AutoProcessor.from_pretrained(id);
const model = await PaliGemmaForConditionalGeneration.from_pretrained(id, { dtype });
const inputs = await processor(await RawImage.read(path.resolve(imageFile)), prompt);
const time = async (k) => {
  const t = performance.now();
  const out = await model.generate({ ...inputs, max_new_tokens: k, do_sample: false });
  return [(performance.now() - t) / 1000, out.tolist()[0].map(Number)];
};
await time(1);
const [one] = await time(1);
const [all, ids] = await time(Number(n));
const generated = ids.length - inputs.input_ids.dims[1];
console.log(JSON.stringify({ prefill_seconds: one, decode_tokens_per_second: (generated - 1) / (all - one), generated, ids }));
await model.dispose();
