// A limit on how deeply a JSON body nests objects and arrays. JSON.parse takes any depth,
// but the code that walks a body (validation, canonical hashing, the unstorable-text
// check) recurses, and a body nested some thousands of levels deep would overflow its
// stack: a 500 for what is bad input. No document of this API needs more than a few
// dozen levels.
export const MAX_JSON_DEPTH = 64;

/** Whether objects and arrays nest deeper than `max` levels (the value itself is level 1). */
export function nestedDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: { node: object; depth: number }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value, depth: 1 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node))
      if (child !== null && typeof child === 'object')
        stack.push({ node: child as object, depth: depth + 1 });
  }
  return false;
}

export const TOO_DEEP_MESSAGE = `nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`;
