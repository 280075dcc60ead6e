import sharp from 'sharp';
import type { Static } from 'typebox';
import { BerthError, describeValue } from '../../errors/index.js';
import type { ImageInput } from '../../registry/index.js';

export type ImageSpec = Static<typeof ImageInput>;

/** `maxPixels` guards against decompression bombs (tiny files that expand to huge bitmaps); `maxBytes` bounds the encoded file. */
export interface ImageLimits {
  maxPixels: number;
  maxBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxPixels: 40_000_000, maxBytes: 20 * 1024 * 1024 };

const ACCEPTED_FORMATS: readonly string[] = ['png', 'jpeg', 'webp'];
const ACCEPTED_NAMES = 'PNG, JPEG or WebP';

/**
 * Decodes PNG/JPEG/WebP bytes and turns them into one instance's tensor data (no batch dim) per the card:
 * EXIF orientation applied, channels converted, stretched to the card's size, laid out and normalised.
 */
export async function encodeImage(
  spec: ImageSpec,
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  field: string = spec.name,
): Promise<Float32Array | Uint8Array> {
  checkByteSize(bytes.length, limits, field);
  const header = await readHeader(bytes, field);
  checkFormat(header.format, field);
  checkSize(spec, header, limits, field);
  const pixels = await decodePixels(spec, bytes, limits, field);
  return (spec.dtype ?? 'float32') === 'uint8' ? arrangeUint8(spec, pixels) : normalise(spec, pixels);
}

/** Accepts a base64 string or a data URL (data:image/png;base64,...) from JSON and returns the bytes. */
export function decodeBase64Image(value: unknown, field: string, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Uint8Array {
  if (typeof value !== 'string') {
    throw new BerthError('invalid_input', `\`${field}\`: expected a base64-encoded image or a data URL, got ${kindOf(value)} ${describeValue(value)}`, { field });
  }
  const payload = base64Payload(value, field).replace(/\s+/g, '');
  if (payload.length === 0) throw new BerthError('invalid_input', `\`${field}\`: the image is empty`, { field });
  if (!isBase64(payload)) {
    throw new BerthError('invalid_input', `\`${field}\`: not valid base64 (expected A-Z, a-z, 0-9, '+', '/' and '=' padding), got ${describeValue(value)}`, { field });
  }
  // Checked before decoding so an oversized body never gets a second, decoded copy in memory.
  const decodedLength = Math.floor((payload.length * 3) / 4) - (payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0);
  checkByteSize(decodedLength, limits, field);
  return Buffer.from(payload, 'base64');
}

/** Shape of one instance without the batch dimension: NCHW → [C,H,W], NHWC → [H,W,C]. */
export function imageInstanceShape(spec: ImageSpec): number[] {
  return spec.layout === 'NCHW' ? [spec.channels, spec.height, spec.width] : [spec.height, spec.width, spec.channels];
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function base64Payload(value: string, field: string): string {
  if (!/^data:/i.test(value)) return value;
  const comma = value.indexOf(',');
  // Percent-encoded data URLs carry text, not binary images, so only the base64 form is meaningful here.
  if (comma < 0 || !/;base64$/i.test(value.slice(0, comma))) {
    throw new BerthError('invalid_input', `\`${field}\`: a data URL must be base64-encoded (data:image/png;base64,...)`, { field });
  }
  return value.slice(comma + 1);
}

/** Both the standard and the URL-safe alphabet, since Node decodes either and clients send both. */
function isBase64(payload: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(payload)) return false;
  // A lone trailing character encodes fewer than 8 bits, and padding only ever completes a 4-character group.
  return payload.length % 4 !== 1 && (!payload.endsWith('=') || payload.length % 4 === 0);
}

function checkByteSize(size: number, limits: ImageLimits, field: string): void {
  if (size > limits.maxBytes) {
    throw new BerthError('payload_too_large', `\`${field}\`: the image is ${size} bytes, over the limit of ${limits.maxBytes} bytes`, {
      field,
      bytes: size,
      max_bytes: limits.maxBytes,
    });
  }
}

/**
 * Reads only the header. The pixel limit is off here on purpose: sharp enforces limitInputPixels in
 * metadata() too, but reports it without the dimensions; our own check below names them, and the
 * decode step keeps limitInputPixels as a backstop.
 */
async function readHeader(bytes: Uint8Array, field: string): Promise<sharp.Metadata> {
  try {
    return await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (err) {
    throw undecodable(err, field);
  }
}

function undecodable(err: unknown, field: string): BerthError {
  const reason = err instanceof Error ? err.message : String(err);
  return new BerthError('invalid_input', `\`${field}\`: not a decodable ${ACCEPTED_NAMES} image: ${reason}`, { field, reason });
}

function checkFormat(format: string, field: string): void {
  if (!ACCEPTED_FORMATS.includes(format)) {
    throw new BerthError('unsupported_media_type', `\`${field}\`: ${format.toUpperCase()} images are not accepted; send ${ACCEPTED_NAMES}`, {
      field,
      format,
      accepted: ACCEPTED_FORMATS,
    });
  }
}

/** Bounds are checked on the size the user sees, i.e. after EXIF orientation (which swaps width and height for 90° turns). */
function checkSize(spec: ImageSpec, header: sharp.Metadata, limits: ImageLimits, field: string): void {
  const { width, height } = header.autoOrient;
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new BerthError(
      'payload_too_large',
      `\`${field}\`: the image is ${width}×${height} (${pixels} pixels), over the limit of ${limits.maxPixels} pixels (decompression bomb guard)`,
      { field, width, height, pixels, max_pixels: limits.maxPixels },
    );
  }
  const problems = [
    spec.min_width !== undefined && width < spec.min_width ? `width ${width} is below min_width ${spec.min_width}` : '',
    spec.min_height !== undefined && height < spec.min_height ? `height ${height} is below min_height ${spec.min_height}` : '',
    spec.max_width !== undefined && width > spec.max_width ? `width ${width} is above max_width ${spec.max_width}` : '',
    spec.max_height !== undefined && height > spec.max_height ? `height ${height} is above max_height ${spec.max_height}` : '',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new BerthError('invalid_input', `\`${field}\`: the image is ${width}×${height}: ${problems.join('; ')}`, {
      field,
      width,
      height,
      ...pick(spec, ['min_width', 'min_height', 'max_width', 'max_height']),
    });
  }
}

function pick(spec: ImageSpec, keys: ReadonlyArray<'min_width' | 'min_height' | 'max_width' | 'max_height'>): Record<string, number> {
  return Object.fromEntries(keys.flatMap((k) => (spec[k] === undefined ? [] : [[k, spec[k]]])));
}

/** sharp wants an integer (or false for "no limit"), and a non-finite limit from config would make it throw. */
function pixelLimit(limits: ImageLimits): number | false {
  return Number.isFinite(limits.maxPixels) ? Math.max(1, Math.floor(limits.maxPixels)) : false;
}

/** HWC uint8 pixels at exactly the card's width, height and channel count. */
async function decodePixels(spec: ImageSpec, bytes: Uint8Array, limits: ImageLimits, field: string): Promise<Uint8Array> {
  // An explicit colourspace also brings 16-bit and CMYK sources down to 8-bit sRGB / grey. Note that
  // libvips' grey is luminance taken in linear light (pure red → 127), not PIL's convert('L') (→ 76).
  const source = sharp(bytes, { limitInputPixels: pixelLimit(limits), failOn: 'error' }).rotate();
  const converted =
    spec.channels === 1
      ? source.toColourspace('b-w').removeAlpha()
      : spec.channels === 3
        ? source.toColourspace('srgb').removeAlpha()
        : source.toColourspace('srgb').ensureAlpha();
  // `fill` stretches like torchvision's Resize((h, w)), which is how most image models were trained.
  const pipeline = converted.resize(spec.width, spec.height, { fit: 'fill' }).raw();
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (err) {
    // Unreachable while our header check runs first, but sharp's own limit is the line that must hold.
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw new BerthError('payload_too_large', `\`${field}\`: the image has more than ${limits.maxPixels} pixels (decompression bomb guard)`, {
        field,
        max_pixels: limits.maxPixels,
      });
    }
    // Truncated files often pass the header read and only fail here, once the pixel data runs out.
    throw undecodable(err, field);
  }
  const { data, info } = result;
  if (info.channels !== spec.channels || info.width !== spec.width || info.height !== spec.height || data.length !== info.width * info.height * info.channels) {
    throw new BerthError(
      'internal',
      `\`${field}\`: image conversion produced ${info.width}×${info.height}×${info.channels} (${data.length} bytes), expected ${spec.width}×${spec.height}×${spec.channels}`,
    );
  }
  return data;
}

/** Where HWC element (pixel p, channel c) goes in the card's layout. */
function targetIndex(spec: ImageSpec): (p: number, c: number) => number {
  const plane = spec.width * spec.height;
  const channels = spec.channels;
  return spec.layout === 'NCHW' ? (p, c) => c * plane + p : (p, c) => p * channels + c;
}

function arrangeUint8(spec: ImageSpec, hwc: Uint8Array): Uint8Array {
  if (spec.layout === 'NHWC') return new Uint8Array(hwc);
  const out = new Uint8Array(hwc.length);
  fill(spec, hwc, (index, pixel) => {
    out[index] = pixel;
  });
  return out;
}

function normalise(spec: ImageSpec, hwc: Uint8Array): Float32Array {
  const table = normalisationTable(spec);
  const out = new Float32Array(hwc.length);
  fill(spec, hwc, (index, pixel, c) => {
    out[index] = table[c * 256 + pixel]!;
  });
  return out;
}

function fill(spec: ImageSpec, hwc: Uint8Array, write: (index: number, pixel: number, channel: number) => void): void {
  const at = targetIndex(spec);
  const channels = spec.channels;
  const plane = spec.width * spec.height;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) write(at(p, c), hwc[p * channels + c]!, c);
  }
}

/**
 * A pixel can only take 256 values per channel, so the float result is precomputed once per channel
 * (in float64, rounded to float32 on store) instead of per element.
 */
function normalisationTable(spec: ImageSpec): Float32Array {
  const scale = spec.scale ?? 1;
  const mean = perChannel(spec, 'mean', 0);
  const std = perChannel(spec, 'std', 1);
  const table = new Float32Array(spec.channels * 256);
  for (let c = 0; c < spec.channels; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v * scale - mean[c]!) / std[c]!;
  }
  return table;
}

function perChannel(spec: ImageSpec, key: 'mean' | 'std', fallback: number): number[] {
  const values = spec[key];
  if (values === undefined) return new Array<number>(spec.channels).fill(fallback);
  if (values.length === 1) return new Array<number>(spec.channels).fill(values[0]!);
  if (values.length === spec.channels) return values;
  // Registration refuses such cards; this guards cards that reached a loaded version some other way.
  throw new BerthError('invalid_config', `input '${spec.name}': ${key} has ${values.length} values but the image has ${spec.channels} channels`);
}
