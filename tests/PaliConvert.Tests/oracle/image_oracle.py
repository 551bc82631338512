"""PIL as the image oracle (Debian's python3-pil), doing what transformers' load_image, convert_to_rgb and
SiglipImageProcessor's resize do.
  image_oracle.py pixels IMAGE [W H]           RGB bytes (hex) after exif_transpose, RGB conversion and a BICUBIC resize
  image_oracle.py write KIND W H SEED OUT [ORIENTATION]   writes a random image: png-rgb, png-rgba, png-gray, png-16, jpeg"""
import random
import sys

from PIL import Image, ImageOps


def to_rgb(image):
    # transformers.image_transforms.convert_to_rgb: anything but RGB is composited over white
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


if sys.argv[1] == "pixels":
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
