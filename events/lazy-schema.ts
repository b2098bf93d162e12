/**
 * A schema built on its first use, then kept: constructing zod schemas is most of their cost at a cold start,
 * and a bundle holds the schemas of contracts its function never parses on that path.
 */
export function lazySchema<Schema>(build: () => Schema): () => Schema {
  let built: Schema | undefined;
  return () => {
    built ??= build();
    return built;
  };
}
