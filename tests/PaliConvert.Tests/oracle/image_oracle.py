"""PIL as the image oracle (Debian's python3-pil), doing what transformers' load_image, convert_to_rgb and
SiglipImageProcessor's resize do.
  image_oracle.py pixels IMAGE [W H]           RGB bytes (hex) after exif_transpose, RGB conversion and a BICUBIC resize
  image_oracle.py bigvision IMAGE SIZE       float32 NHWC (hex) as big_vision's decode|resize(SIZE)|value_range(-1, 1): TF2's
                                             bilinear resize (half-pixel centres, no antialias) in float32, written here from
                                             tensorflow/core/kernels/image/resize_bilinear_op.cc in numpy
  image_oracle.py write KIND W H SEED OUT [ORIENTATION]   writes a random image: png-rgb, png-rgba, png-gray, png-gray16, jpeg"""
import random
import sys

import numpy as np

from PIL import Image, ImageOps


def to_rgb(image):
    # transformers.image_transforms.convert_to_rgb: anything but RGB is composited over white
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def tf_weights(in_size, out_size):
    scale = np.float32(in_size) / np.float32(out_size)
    at = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    floor = np.floor(at)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(at).astype(np.int64), in_size - 1)
    return lower, upper, (at - floor).astype(np.float32)


if sys.argv[1] == "bigvision":
    image = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.float32)  # decode_image(channels=3): alpha dropped
    size = int(sys.argv[3])
    y0, y1, ly = tf_weights(image.shape[0], size)
    x0, x1, lx = tf_weights(image.shape[1], size)
    lx, ly = lx[None, :, None], ly[:, None, None]
    top = image[y0][:, x0] + (image[y0][:, x1] - image[y0][:, x0]) * lx
    bottom = image[y1][:, x0] + (image[y1][:, x1] - image[y1][:, x0]) * lx
    resized = np.clip(top + (bottom - top) * ly, 0, 255).astype(np.uint8).astype(np.float32)
    print((resized / np.float32(255) * np.float32(2) - np.float32(1)).astype("<f4").tobytes().hex())
elif sys.argv[1] == "pixels":
    image = to_rgb(ImageOps.exif_transpose(Image.open(sys.argv[2])))
    if len(sys.argv) > 3:
        image = image.resize((int(sys.argv[3]), int(sys.argv[4])), resample=Image.BICUBIC)
    print(f"{image.width} {image.height} {image.tobytes().hex()}")
else:
    kind, w, h, seed, out = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    rng = random.Random(seed)
    # smooth content with some noise, as photographs are (JPEG's loss is then small, as on real images)
    def value(x, y, c):
        return max(0, min(255, int(128 + 100 * ((x * (c + 1) + y * (3 - c)) % 37 - 18) / 18) + rng.randint(-20, 20)))
    if kind in ("png-rgb", "jpeg"):
        image = Image.new("RGB", (w, h))
        image.putdata([tuple(value(x, y, c) for c in range(3)) for y in range(h) for x in range(w)])
    elif kind == "png-rgba":
        image = Image.new("RGBA", (w, h))
        image.putdata([tuple(value(x, y, c) for c in range(3)) + (rng.randint(0, 255),) for y in range(h) for x in range(w)])
    elif kind == "png-gray16":
        image = Image.fromarray(np.array([[(x * 977 + y * 131 + rng.randint(0, 99)) % 65536 for x in range(w)] for y in range(h)],
                                         dtype=np.uint16))
    elif kind == "png-gray":
        image = Image.new("L", (w, h))
        image.putdata([value(x, y, 0) for y in range(h) for x in range(w)])
    exif = Image.Exif()
    if len(sys.argv) > 7:
        exif[0x0112] = int(sys.argv[7])
    if kind == "jpeg":
        image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    else:
        image.save(out, format="PNG", exif=exif.tobytes())
