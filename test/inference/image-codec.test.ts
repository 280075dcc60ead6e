import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IMAGE_LIMITS,
  decodeBase64Image,
  encodeImage,
  imageInstanceShape,
  type ImageSpec,
} from '../../src/inference/codecs/image-codec.js';
import { BerthError } from '../../src/errors/index.js';
import { fixtureModel } from '../helpers/targets.js';

/**
 * Real images, made here with sharp (or byte by byte, for the decompression bomb), pushed through the
 * image codec. Expected tensors are computed independently: sharp only resizes, the test normalises
 * and transposes by hand.
 */

const TINY_CNN = JSON.parse(readFileSync(fixtureModel('tiny_cnn.card.json'), 'utf8')) as { inputs: ImageSpec[] };
const CNN_SPEC = TINY_CNN.inputs[0]!;
const PLANE = 16 * 16;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

type Colour = { r: number; g: number; b: number; alpha?: number };
const RED: Colour = { r: 255, g: 0, b: 0 };
const GREEN: Colour = { r: 0, g: 255, b: 0 };
const BLUE: Colour = { r: 0, g: 0, b: 255 };

function solid(width: number, height: number, background: Colour, channels: 3 | 4 = 3): sharp.Sharp {
  return sharp({ create: { width, height, channels, background } });
}

async function solidPng(width: number, height: number, background: Colour, channels: 3 | 4 = 3): Promise<Buffer> {
  return solid(width, height, background, channels).png().toBuffer();
}

/** A non-uniform RGB image: every pixel differs from its neighbours, so resize and layout mistakes show. */
function gradient(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 6) % 256;
      data[i + 1] = (y * 8) % 256;
      data[i + 2] = (x * 5 + y * 11) % 256;
    }
  }
  return data;
}

function rawImage(data: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4): sharp.Sharp {
  return sharp(data, { raw: { width, height, channels } });
}

/** The codec's preprocessing, restated by hand: sharp resizes, the rest is plain arithmetic in float64 stored as float32. */
async function expectedTensor(png: Buffer, spec: ImageSpec): Promise<Float32Array | Uint8Array> {
  const { data } = await sharp(png).resize(spec.width, spec.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const channels = spec.channels;
  const plane = spec.width * spec.height;
  const out = spec.dtype === 'uint8' ? new Uint8Array(data.length) : new Float32Array(data.length);
  for (let y = 0; y < spec.height; y++) {
    for (let x = 0; x < spec.width; x++) {
      for (let c = 0; c < channels; c++) {
        const p = y * spec.width + x;
        const pixel = data[p * channels + c]!;
        const value =
          spec.dtype === 'uint8'
            ? pixel
            : (pixel * (spec.scale ?? 1) - (spec.mean?.[spec.mean.length === 1 ? 0 : c] ?? 0)) / (spec.std?.[spec.std.length === 1 ? 0 : c] ?? 1);
        out[spec.layout === 'NCHW' ? c * plane + p : p * channels + c] = value;
      }
    }
  }
  return out;
}

function spec(overrides: Partial<ImageSpec> = {}): ImageSpec {
  return { ...CNN_SPEC, ...overrides };
}

async function refusal(promise: Promise<unknown>): Promise<BerthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(BerthError);
  return err as BerthError;
}

function syncRefusal(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error('expected a refusal');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid all-black 1-bit greyscale PNG, written byte by byte: at one bit per pixel a 20000×20000 image is
 * only 50 MB of zeros before compression, so it is cheap to make, yet it declares 400 million pixels.
 */
function bilevelPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // colour type: greyscale
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed bits
  const idat = zlib.deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function channel(tensor: Float32Array | Uint8Array, c: number, plane = PLANE): number[] {
  return Array.from(tensor.subarray(c * plane, (c + 1) * plane));
}

describe('encodeImage: the tiny_cnn card', () => {
  it('turns a solid red 16×16 PNG into the ImageNet-normalised NCHW tensor', async () => {
    const out = await encodeImage(CNN_SPEC, await solidPng(16, 16, RED));
    expect(out).toBeInstanceOf(Float32Array);
    expect(out).toHaveLength(3 * PLANE);
    const expected = [(255 / 255 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0 - 0.406) / 0.225];
    for (const c of [0, 1, 2]) {
      for (const value of channel(out, c)) expect(Math.abs(value - expected[c]!)).toBeLessThan(1e-6);
    }
  });

  it('interleaves channels for NHWC', async () => {
    const out = await encodeImage(spec({ layout: 'NHWC' }), await solidPng(16, 16, RED));
    expect(out).toHaveLength(3 * PLANE);
    const expected = [(1 - MEAN[0]!) / STD[0]!, -MEAN[1]! / STD[1]!, -MEAN[2]! / STD[2]!];
    for (let p = 0; p < PLANE; p++) {
      for (const c of [0, 1, 2]) expect(Math.abs(out[p * 3 + c]! - expected[c]!)).toBeLessThan(1e-6);
    }
  });

  it('returns raw bytes in the card layout for dtype uint8', async () => {
    const png = await solidPng(16, 16, { r: 255, g: 7, b: 99 });
    const nchw = await encodeImage(spec({ dtype: 'uint8' }), png);
    expect(nchw).toBeInstanceOf(Uint8Array);
    expect(nchw).toHaveLength(3 * PLANE);
    expect(new Set(channel(nchw, 0))).toEqual(new Set([255]));
    expect(new Set(channel(nchw, 1))).toEqual(new Set([7]));
    expect(new Set(channel(nchw, 2))).toEqual(new Set([99]));
    const nhwc = await encodeImage(spec({ dtype: 'uint8', layout: 'NHWC' }), png);
    expect(Array.from(nhwc)).toEqual(Array.from({ length: PLANE }, () => [255, 7, 99]).flat());
  });

  it('makes tiny_cnn name solid red, green and blue images by their colour', async () => {
    const session = await ort.InferenceSession.create(fixtureModel('tiny_cnn.onnx'));
    try {
      const tensors = await Promise.all([RED, GREEN, BLUE].map(async (c) => encodeImage(CNN_SPEC, await solidPng(32, 24, c))));
      const batch = new Float32Array(3 * 3 * PLANE);
      tensors.forEach((t, i) => batch.set(t, i * 3 * PLANE));
      const result = await session.run({ image: new ort.Tensor('float32', batch, [3, ...imageInstanceShape(CNN_SPEC)]) });
      const logits = Array.from(result.logits!.data as Float32Array);
      const argmax = [0, 1, 2].map((row) => {
        const scores = logits.slice(row * 3, row * 3 + 3);
        return scores.indexOf(Math.max(...scores));
      });
      expect(argmax).toEqual([0, 1, 2]);
    } finally {
      await session.release();
    }
  });
});

describe('encodeImage: matches the preprocessing done by hand', () => {
  const WIDTH = 40;
  const HEIGHT = 30;
  const pngOf = (): Promise<Buffer> => rawImage(gradient(WIDTH, HEIGHT), WIDTH, HEIGHT, 3).png().toBuffer();

  it.each([
    ['NCHW float32', spec()],
    ['NHWC float32', spec({ layout: 'NHWC' })],
    ['NCHW uint8', spec({ dtype: 'uint8' })],
    ['NHWC uint8', spec({ dtype: 'uint8', layout: 'NHWC' })],
    ['single mean/std, no scale', spec({ scale: undefined, mean: [127.5], std: [64] })],
    ['no normalisation at all', spec({ scale: undefined, mean: undefined, std: undefined })],
    ['non-square target', spec({ width: 24, height: 10 })],
  ])('%s', async (_name, s) => {
    const png = await pngOf();
    const out = await encodeImage(s, png);
    const expected = await expectedTensor(png, s);
    expect(out.constructor).toBe(expected.constructor);
    expect(out).toEqual(expected);
    // The gradient must survive resizing as a gradient, or the comparison proves little.
    expect(new Set(out).size).toBeGreaterThan(50);
  });

  it('agrees with the uint8 path and across layouts for any image and normalisation (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<1 | 3 | 4>(1, 3, 4),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 1e-4, max: 2, noNaN: true }),
        fc.array(fc.double({ min: -200, max: 200, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (srcW, srcH, channels, width, height, scale, mean, std, seed) => {
          const data = new Uint8Array(srcW * srcH * 3);
          let state = seed;
          for (let i = 0; i < data.length; i++) {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            data[i] = state >>> 24;
          }
          const png = await rawImage(data, srcW, srcH, 3).png().toBuffer();
          const base = spec({ width, height, channels, scale, mean: mean.slice(0, channels), std: std.slice(0, channels) });
          const nchw = (await encodeImage(base, png)) as Float32Array;
          const nhwc = (await encodeImage({ ...base, layout: 'NHWC' }, png)) as Float32Array;
          const bytes = await encodeImage({ ...base, dtype: 'uint8' }, png);
          const plane = width * height;
          expect(nchw).toHaveLength(plane * channels);
          for (let p = 0; p < plane; p++) {
            for (let c = 0; c < channels; c++) {
              const expected = Math.fround((bytes[c * plane + p]! * scale - mean[c]!) / std[c]!);
              expect(nchw[c * plane + p]).toBe(expected);
              expect(nhwc[p * channels + c]).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('encodeImage: conversions', () => {
  it('resizes a 64×48 input to the card size', async () => {
    const s = spec({ dtype: 'uint8' });
    const out = await encodeImage(s, await solidPng(64, 48, GREEN));
    expect(imageInstanceShape(s)).toEqual([3, 16, 16]);
    expect(out).toHaveLength(3 * PLANE);
    expect(new Set(channel(out, 1))).toEqual(new Set([255]));
  });

  it('stretches rather than crops (fit fill): a left/right split stays split at the middle', async () => {
    // 60×20: left 30 columns red, right 30 blue. Squashed to 16×16, columns 0-6 stay red and 9-15 blue.
    const data = Buffer.alloc(60 * 20 * 3);
    for (let p = 0; p < 60 * 20; p++) data[p * 3 + (p % 60 < 30 ? 0 : 2)] = 255;
    const out = await encodeImage(spec({ dtype: 'uint8' }), await rawImage(data, 60, 20, 3).png().toBuffer());
    for (let y = 0; y < 16; y++) {
      expect(out[y * 16 + 0]).toBe(255); // red channel, left edge
      expect(out[2 * PLANE + y * 16 + 15]).toBe(255); // blue channel, right edge
      expect(out[y * 16 + 15]).toBe(0);
    }
  });

  it('drops alpha for a 3-channel card', async () => {
    const png = await solidPng(16, 16, { r: 10, g: 200, b: 30, alpha: 0.5 }, 4);
    expect((await sharp(png).metadata()).channels).toBe(4);
    const out = await encodeImage(spec({ dtype: 'uint8', layout: 'NHWC' }), png);
    expect(out).toHaveLength(3 * PLANE);
    expect(Array.from(out.subarray(0, 3))).toEqual([10, 200, 30]);
  });

  it('keeps or adds alpha for a 4-channel card', async () => {
    const s = spec({ channels: 4, dtype: 'uint8', layout: 'NHWC', mean: undefined, std: undefined });
    const withAlpha = await encodeImage(s, await solidPng(16, 16, { r: 1, g: 2, b: 3, alpha: 0.4 }, 4));
    expect(Array.from(withAlpha.subarray(0, 4))).toEqual([1, 2, 3, 102]);
    const opaque = await encodeImage(s, await solidPng(16, 16, { r: 1, g: 2, b: 3 }));
    expect(Array.from(opaque.subarray(0, 4))).toEqual([1, 2, 3, 255]);
    expect(imageInstanceShape(s)).toEqual([16, 16, 4]);
  });

  it('gives one channel for a greyscale card', async () => {
    const s = spec({ channels: 1, dtype: 'uint8', mean: undefined, std: undefined });
    const grey = await encodeImage(s, await solidPng(20, 20, { r: 128, g: 128, b: 128 }));
    expect(grey).toHaveLength(PLANE);
    expect(new Set(grey)).toEqual(new Set([128]));
    const red = await encodeImage(s, await solidPng(20, 20, RED, 4));
    expect(red).toHaveLength(PLANE);
    // libvips takes luminance in linear light and re-applies the sRGB curve: pure red gives 127, where
    // PIL's convert('L') (0.299 R + 0.587 G + 0.114 B on encoded values) gives 76. Pinned so a change shows.
    expect(new Set(red)).toEqual(new Set([127]));
    const floats = await encodeImage(spec({ channels: 1, scale: 1 / 255, mean: [0.5], std: [0.5] }), await solidPng(16, 16, { r: 255, g: 255, b: 255 }));
    expect(floats).toEqual(new Float32Array(PLANE).fill(1));
  });

  it('turns a greyscale source into three equal channels for an RGB card', async () => {
    const png = await rawImage(new Uint8Array(16 * 16).fill(77), 16, 16, 1).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const out = await encodeImage(spec({ dtype: 'uint8' }), png);
    expect(new Set(out)).toEqual(new Set([77]));
    expect(out).toHaveLength(3 * PLANE);
  });

  it.each([
    ['JPEG', (s: sharp.Sharp) => s.jpeg({ quality: 95 })],
    ['WebP', (s: sharp.Sharp) => s.webp({ quality: 95 })],
    ['lossless WebP', (s: sharp.Sharp) => s.webp({ lossless: true })],
  ])('accepts %s', async (_name, encode) => {
    const bytes = await encode(solid(24, 24, BLUE)).toBuffer();
    const out = await encodeImage(spec({ dtype: 'uint8' }), bytes);
    expect(out).toHaveLength(3 * PLANE);
    // Lossy codecs shift a solid colour a little (WebP stores YUV), not more.
    for (const v of channel(out, 0)) expect(v).toBeLessThanOrEqual(8);
    for (const v of channel(out, 2)) expect(v).toBeGreaterThanOrEqual(245);
  });

  it('applies EXIF orientation before sizing and checking bounds', async () => {
    // Stored 20 wide × 10 high, left half red, right half blue, tagged "rotate 90° clockwise to display".
    const data = Buffer.alloc(20 * 10 * 3);
    for (let p = 0; p < 200; p++) data[p * 3 + (p % 20 < 10 ? 0 : 2)] = 255;
    const jpeg = await rawImage(data, 20, 10, 3).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const s = spec({ width: 10, height: 20, dtype: 'uint8', layout: 'NHWC', max_width: 10, max_height: 20 });
    const out = await encodeImage(s, jpeg);
    // Displayed 10 wide × 20 high: red on top, blue at the bottom.
    const at = (x: number, y: number): number[] => Array.from(out.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3));
    expect(at(5, 1)[0]).toBeGreaterThan(240);
    expect(at(5, 1)[2]).toBeLessThan(15);
    expect(at(5, 18)[2]).toBeGreaterThan(240);
    expect(at(5, 18)[0]).toBeLessThan(15);
  });
});

describe('encodeImage: refusals', () => {
  it.each([
    ['GIF', 'gif', (s: sharp.Sharp) => s.gif()],
    ['TIFF', 'tiff', (s: sharp.Sharp) => s.tiff()],
  ])('refuses %s with 415 unsupported_media_type', async (name, format, encode) => {
    const bytes = await encode(solid(16, 16, RED)).toBuffer();
    const err = await refusal(encodeImage(CNN_SPEC, bytes, DEFAULT_IMAGE_LIMITS, 'instances[0].image'));
    expect(err.code).toBe('unsupported_media_type');
    expect(err.status).toBe(415);
    expect(err.message).toContain('`instances[0].image`');
    expect(err.message).toContain(name);
    expect(err.message).toContain('PNG, JPEG or WebP');
    expect(err.details).toMatchObject({ format, accepted: ['png', 'jpeg', 'webp'] });
  });

  it('refuses SVG as unsupported rather than rendering it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="red"/></svg>');
    const err = await refusal(encodeImage(CNN_SPEC, svg));
    expect(err.code).toBe('unsupported_media_type');
    expect(err.details).toMatchObject({ format: 'svg' });
  });

  it('refuses bytes that are not an image', async () => {
    const err = await refusal(encodeImage(CNN_SPEC, new Uint8Array(Buffer.from('definitely not an image, just some text')), DEFAULT_IMAGE_LIMITS, 'photo'));
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^`photo`: not a decodable PNG, JPEG or WebP image: /);
  });

  it('refuses random bytes and empty input (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
        const err = await refusal(encodeImage(CNN_SPEC, bytes));
        expect(err.code).toBe('invalid_input');
        expect(err.message).toContain('`image`');
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a truncated PNG, whether cut in the header or in the pixel data', async () => {
    const data = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const png = await rawImage(data, 64, 64, 3).png({ compressionLevel: 0 }).toBuffer();
    for (const cut of [20, 40, Math.floor(png.length / 2), png.length - 100]) {
      const err = await refusal(encodeImage(CNN_SPEC, png.subarray(0, cut)));
      expect(err.code, `cut at ${cut} of ${png.length}`).toBe('invalid_input');
      expect(err.message).toContain('not a decodable PNG, JPEG or WebP image');
    }
  });

  it('refuses a truncated JPEG', async () => {
    const data = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const jpeg = await rawImage(data, 64, 64, 3).jpeg().toBuffer();
    const err = await refusal(encodeImage(CNN_SPEC, jpeg.subarray(0, Math.floor(jpeg.length * 0.6))));
    expect(err.code).toBe('invalid_input');
  });

  it('refuses images outside the card min/max size, naming the size and the limits', async () => {
    const bounded = spec({ min_width: 16, min_height: 12, max_width: 64, max_height: 48 });
    const small = await refusal(encodeImage(bounded, await solidPng(8, 40, RED)));
    expect(small.code).toBe('invalid_input');
    expect(small.message).toContain('8×40');
    expect(small.message).toContain('width 8 is below min_width 16');
    expect(small.details).toMatchObject({ width: 8, height: 40, min_width: 16, max_height: 48 });
    const large = await refusal(encodeImage(bounded, await solidPng(65, 49, RED)));
    expect(large.code).toBe('invalid_input');
    expect(large.message).toContain('65×49');
    expect(large.message).toContain('width 65 is above max_width 64');
    expect(large.message).toContain('height 49 is above max_height 48');
    // The bounds themselves are inclusive.
    await expect(encodeImage(bounded, await solidPng(16, 12, RED))).resolves.toHaveLength(3 * PLANE);
    await expect(encodeImage(bounded, await solidPng(64, 48, RED))).resolves.toHaveLength(3 * PLANE);
  });

  it('refuses a decompression bomb from its header, quickly', async () => {
    const bomb = bilevelPng(20_000, 20_000);
    expect(bomb.length).toBeLessThan(200_000); // 400 million pixels in well under a megabyte
    const header = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect(header).toMatchObject({ format: 'png', width: 20_000, height: 20_000 });
    const started = performance.now();
    const err = await refusal(encodeImage(CNN_SPEC, bomb));
    const elapsed = performance.now() - started;
    expect(err.code).toBe('payload_too_large');
    expect(err.status).toBe(413);
    expect(err.message).toContain('20000×20000');
    expect(err.message).toContain('400000000');
    expect(err.message).toContain('40000000');
    expect(err.message).toContain('decompression bomb guard');
    expect(elapsed).toBeLessThan(500);
  });

  it('the byte-built PNG used as a bomb is a valid image at a modest size', async () => {
    const { data, info } = await sharp(bilevelPng(24, 10)).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 24, height: 10 });
    expect(new Set(data)).toEqual(new Set([0]));
    const out = await encodeImage(spec({ dtype: 'uint8' }), bilevelPng(24, 10));
    expect(new Set(out)).toEqual(new Set([0]));
  });

  it('honours a lower pixel limit: just at it passes, one pixel over is refused', async () => {
    const limits = { maxPixels: 32 * 32, maxBytes: DEFAULT_IMAGE_LIMITS.maxBytes };
    await expect(encodeImage(CNN_SPEC, await solidPng(32, 32, RED), limits)).resolves.toHaveLength(3 * PLANE);
    const err = await refusal(encodeImage(CNN_SPEC, await solidPng(33, 32, RED), limits));
    expect(err.code).toBe('payload_too_large');
  });

  it('refuses bytes over maxBytes before looking at them', async () => {
    const png = await solidPng(16, 16, RED);
    const limits = { maxPixels: DEFAULT_IMAGE_LIMITS.maxPixels, maxBytes: png.length - 1 };
    const err = await refusal(encodeImage(CNN_SPEC, png, limits, 'upload'));
    expect(err.code).toBe('payload_too_large');
    expect(err.message).toContain('`upload`');
    expect(err.message).toContain(String(png.length));
    await expect(encodeImage(CNN_SPEC, png, { ...limits, maxBytes: png.length })).resolves.toHaveLength(3 * PLANE);
    // Over the limit even when the bytes are junk: size is checked first.
    expect((await refusal(encodeImage(CNN_SPEC, new Uint8Array(101), { ...limits, maxBytes: 100 }))).code).toBe('payload_too_large');
  });

  it('has the documented default limits', () => {
    expect(DEFAULT_IMAGE_LIMITS).toEqual({ maxPixels: 40_000_000, maxBytes: 20 * 1024 * 1024 });
  });
});

describe('decodeBase64Image', () => {
  it('decodes plain base64 and data URLs to the same bytes', async () => {
    const png = await solidPng(16, 16, GREEN);
    const b64 = png.toString('base64');
    for (const value of [b64, `data:image/png;base64,${b64}`, `DATA:image/png;BASE64,${b64}`, b64.replace(/(.{60})/g, '$1\n')]) {
      expect(Buffer.from(decodeBase64Image(value, 'image')).equals(png)).toBe(true);
    }
    const out = await encodeImage(spec({ dtype: 'uint8' }), decodeBase64Image(`data:image/png;base64,${b64}`, 'image'));
    expect(new Set(channel(out, 1))).toEqual(new Set([255]));
  });

  it('round-trips any bytes in the standard and URL-safe alphabets (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(Buffer.from(decodeBase64Image(buf.toString('base64'), 'f')).equals(buf)).toBe(true);
        expect(Buffer.from(decodeBase64Image(buf.toString('base64url'), 'f')).equals(buf)).toBe(true);
      }),
    );
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { data: 'iVBOR' }],
    ['an array', [1, 2, 3]],
    ['invalid base64', 'not*base64!'],
    ['an empty string', ''],
    ['only padding', '===='],
    ['a lone extra character', 'QUJDRA'.slice(0, 5)],
    ['misplaced padding', 'QQ==QQ=='],
    ['a data URL that is not base64', 'data:image/png,%89PNG'],
    ['a data URL with bad base64', 'data:image/png;base64,@@@@'],
  ])('refuses %s with invalid_input naming the field', (_name, value) => {
    const err = syncRefusal(() => decodeBase64Image(value, 'instances[2].photo'));
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(400);
    expect(err.message).toContain('`instances[2].photo`');
  });

  it('refuses payloads that would decode to more than maxBytes', () => {
    const value = Buffer.alloc(1000).toString('base64');
    const limits = { maxPixels: DEFAULT_IMAGE_LIMITS.maxPixels, maxBytes: 999 };
    const err = syncRefusal(() => decodeBase64Image(value, 'image', limits));
    expect(err.code).toBe('payload_too_large');
    expect(decodeBase64Image(value, 'image', { ...limits, maxBytes: 1000 })).toHaveLength(1000);
  });
});

describe('imageInstanceShape', () => {
  it('puts channels first for NCHW and last for NHWC', () => {
    expect(imageInstanceShape(spec({ width: 32, height: 24, channels: 3, layout: 'NCHW' }))).toEqual([3, 24, 32]);
    expect(imageInstanceShape(spec({ width: 32, height: 24, channels: 1, layout: 'NHWC' }))).toEqual([24, 32, 1]);
  });
});
