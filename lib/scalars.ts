import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseDateTime(value: unknown): Date {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms) && /T.*(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
      return new Date(ms);
    }
  }
  throw new GraphQLError(
    `DateTime must be an ISO 8601 string with a time zone, received ${JSON.stringify(value)}.`,
    { extensions: { code: 'BAD_USER_INPUT' } },
  );
}

/**
 * Instants are ISO 8601 in UTC on the way out. Inputs must name their time
 * zone (`Z` or an offset): a bare local time is ambiguous and refused.
 */
const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) {
      throw new TypeError(`Not a DateTime: ${String(value)}`);
    }
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});

/** Calendar dates stay `yyyy-mm-dd` strings: no time zone to get wrong. */
const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  serialize(value) {
    if (typeof value === 'string' && DATE.test(value)) {
      return value;
    }
    throw new TypeError(`Not a Date: ${String(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && DATE.test(value)) {
      return value;
    }
    throw new GraphQLError(
      `Date must be yyyy-mm-dd, received ${JSON.stringify(value)}.`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && DATE.test(ast.value)) {
      return ast.value;
    }
    throw new GraphQLError('Date must be a yyyy-mm-dd string.', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});

/** The provider's raw payload, passed through as it came. */
const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
});

export const scalarResolvers = {
  DateTime,
  Date: DateScalar,
  JSON: JSONScalar,
};
