/**
 * Provider reads memoized for one request (a connector lives for one) by
 * the provider fields they asked for: with field selection, the same list
 * read for two queries may carry different fields.
 *
 * A read that asked for every field a caller needs serves that caller, so
 * a lookup selecting less costs nothing once a wider read was made (or is
 * under way); one selecting more makes a read of its own. That keeps one
 * read per field set at worst, and never answers with a record missing a
 * field the caller maps.
 */
export class ReadsByFields<T> {
  private readonly reads: Array<{
    fields: ReadonlySet<string>;
    result: Promise<T>;
  }> = [];

  /** A read made with at least `fields`, if this request made one. */
  find(fields: readonly string[]): Promise<T> | undefined {
    return this.reads.find((read) =>
      fields.every((field) => read.fields.has(field)),
    )?.result;
  }

  /** `find(fields)`, else `read(fields)`, remembered for later callers. */
  get(
    fields: readonly string[],
    read: (fields: readonly string[]) => Promise<T>,
  ): Promise<T> {
    const found = this.find(fields);
    if (found) {
      return found;
    }
    const result = read(fields);
    this.reads.push({ fields: new Set(fields), result });
    return result;
  }
}
