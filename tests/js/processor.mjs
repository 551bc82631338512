// From an export folder alone: AutoProcessor (tokenizer + image processor) on an image file and a prompt, then greedy
// generate(). usage: node processor.mjs FOLDER DTYPE IMAGE PROMPT MAX_NEW_TOKENS OUT.json
import fs from 'node:fs';
import path from 'node:path';
import { env, AutoProcessor, PaliGemmaForConditionalGeneration, RawImage } from '@huggingface/transformers';

const [folder, dtype, imageFile, prompt, maxNewTokens, outFile] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(folder)) + path.sep;
const id = path.basename(path.resolve(folder));
const processor = await AutoProcessor.from_pretrained(id);
const model = await PaliGemmaForConditionalGeneration.from_pretrained(id, { dtype });
const image = await RawImage.read(path.resolve(imageFile));
const inputs = await processor(image, prompt);
const out = await model.generate({ ...inputs, max_new_tokens: Number(maxNewTokens), do_sample: false });
fs.writeFileSync(outFile, JSON.stringify({
  input_ids: Array.from(inputs.input_ids.data, Number),
  pixel_values: Array.from(inputs.pixel_values.data),
  pixel_dims: inputs.pixel_values.dims,
  sequences: out.tolist()[0].map(Number),
  decoded: processor.batch_decode(out, { skip_special_tokens: true })[0],
}));
await model.dispose();
