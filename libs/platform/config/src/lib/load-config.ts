import { z } from 'zod';

/** Thrown at start-up when the environment does not fit an app's schema. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly { variable: string; value: string | undefined; problem: string }[],
  ) {
    super(
      'invalid configuration:\n' +
        problems
          .map(
            (p) =>
              `  ${p.variable}=${p.value === undefined ? '(unset)' : JSON.stringify(p.value)}: ${p.problem}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once against an app's schema whose keys are the variable names.
 * Every problem is reported (not just the first), each naming the variable and its value.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (result.success) return Object.freeze(result.data);
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(root)');
      return { variable, value: env[variable], problem: issue.message };
    }),
  );
}

/** Reusable variable parsers: environment values are strings, these give them types. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  list: () =>
    z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      ),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .optional()
      .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value))),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  postgresUrl: () =>
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
};

/**
 * For cross-field refinements: run them as long as the fields they read parsed, even when other
 * variables are bad, so one start-up reports every problem at once (zod skips refinements after
 * any failed field by default).
 */
export function whenParsed(...fields: string[]): z.core.$ZodSuperRefineParams {
  return { when: (payload) => !payload.issues.some((issue) => fields.includes(String(issue.path?.[0]))) };
}
