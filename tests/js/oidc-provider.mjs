// A real OpenID Connect provider for the SSO tests (oidc-provider, a certified implementation).
// Usage: node oidc-provider.mjs <port> <client_id> <client_secret> <redirect_uri>…
// A second client, <client_id>-expiring (same secret, the same redirect URIs with /test/ changed to /expiring/), gets
// codes that expire after 1 second, for the expired-code test. PKCE is required of every client, so that a sign-in
// without the right code verifier fails. Any login name signs in (the package's development interactions) as the account of that name, whose claims are
// preferred_username = the name and email = name@example.org. Prints "ready <issuer>" once it listens.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, ...redirectUris] = process.argv.slice(2);
// localhost, not 127.0.0.1: another site than the Director's (cookies' sites ignore ports), as a real provider is.
const issuer = `http://localhost:${port}`;

const client = (id, uris) => ({
  client_id: id,
  client_secret: clientSecret,
  redirect_uris: uris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
});
const expiring = `${clientId}-expiring`;

const provider = new Provider(issuer, {
  clients: [client(clientId, redirectUris), client(expiring, redirectUris.map((u) => u.replace('/test/', '/expiring/')))],
  ttl: { AuthorizationCode: (ctx, code, c) => (c.clientId === expiring ? 1 : 60) },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'name'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, email: `${id}@example.org`, email_verified: true };
      },
    };
  },
  // Without it the provider asks nothing the tests would not answer the same way every time.
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['conpaas-test-only'] },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
