import type { ApolloServerPlugin } from '@apollo/server';

const HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tributary</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Tributary</h1>
<p>This is the GraphQL endpoint of a Tributary gateway running in production.
Send operations with <code>POST</code> (JSON) and your credentials:
<code>Authorization: Bearer &lt;api key&gt;</code> and
<code>X-Account-Token: &lt;account token&gt;</code>.</p>
<p>Introspection and Apollo Sandbox are off here; use the schema from your
Tributary release or a development gateway.</p>
</body>
</html>
`;

/**
 * The production landing page, replacing Apollo Sandbox: a static page that
 * says what the endpoint is, loads nothing from elsewhere and reveals
 * nothing about the schema.
 */
export function productionLandingPage<
  TContext extends object,
>(): ApolloServerPlugin<TContext> {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: HTML };
        },
      };
    },
  };
}
