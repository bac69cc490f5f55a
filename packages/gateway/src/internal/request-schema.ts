import { z } from 'zod';

/** A request schema of the SDK (`CallToolRequestSchema`...): a zod object with a `method` literal. */
export interface MethodRequestSchema {
  shape: { method: { value: string } };
}

const byMethod = new Map<string, z.ZodType>();

/**
 * A schema that matches a request by its method only (everything else passes through as is).
 * Registered with the SDK in place of the method's full schema, it lets requests with invalid
 * params reach the handler, which parses them with the full schema and maps the `ZodError` through
 * `toRpcError` (-32602 naming the field), instead of the SDK answering -32603 with a raw issue list.
 *
 * @param schema - the method's full request schema; only its `method` literal is read.
 * @returns a schema memoized per method.
 * @example
 * ```ts
 * server.setRequestHandler(matchMethod(GetPromptRequestSchema), async (raw) => {
 *   const request = GetPromptRequestSchema.parse(raw); // throws ZodError -> toRpcError -> -32602
 *   ...
 * });
 * ```
 */
export function matchMethod(schema: MethodRequestSchema): z.ZodType {
  const method = schema.shape.method.value;
  let match = byMethod.get(method);
  if (match === undefined) {
    match = z.looseObject({ method: z.literal(method) });
    byMethod.set(method, match);
  }
  return match;
}
