/**
 * The JSON text of the top-level `inputs` object of a request body, cut from the body text (so the
 * prediction log stores a single instance as sent, without cloning or serializing the parsed object).
 * It runs on the log writer's thread, not the request path. `body` must be valid JSON (the server parsed
 * it); the scan tracks strings and nesting and, like JSON.parse, keeps the last `inputs` key. Undefined
 * when the body is not an object or its `inputs` is not an object. Hand-written: no JSON library reports
 * value offsets.
 */
export function inputsJsonOf(body: string): string | undefined {
  let found: string | undefined;
  let depth = 0;
  let expectKey = false;
  let i = 0;
  while (i < body.length && body.charCodeAt(i) <= 0x20) i++;
  if (body.charCodeAt(i) !== 0x7b /* { */) return undefined;
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i = stringEnd(body, i);
      if (depth !== 1 || !expectKey) continue;
      expectKey = false;
      const key = body.slice(start, i + 1);
      if (key !== '"inputs"' && !(key.includes('\\') && JSON.parse(key) === 'inputs')) continue;
      let j = body.indexOf(':', i + 1) + 1;
      while (j < body.length && body.charCodeAt(j) <= 0x20) j++;
      if (body.charCodeAt(j) !== 0x7b) {
        // Not an object: the main loop walks over the value (a later `inputs` key may still win).
        found = undefined;
        i = j - 1;
        continue;
      }
      const end = valueEnd(body, j);
      found = body.slice(j, end + 1);
      i = end;
      continue;
    }
    if (c === 0x7b || c === 0x5b /* [ */) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c /* , */ && depth === 1) expectKey = true;
  }
  return found;
}

/** Index of the quote closing the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
  return i;
}

/** Index of the bracket closing the object or array that opens at `j`. */
function valueEnd(text: string, j: number): number {
  let level = 0;
  for (; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === 0x22) j = stringEnd(text, j);
    else if (d === 0x7b || d === 0x5b) level++;
    else if (d === 0x7d || d === 0x5d) {
      level--;
      if (level === 0) return j;
    }
  }
  return j;
}
