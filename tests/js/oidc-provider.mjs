// A real OpenID Connect provider for the SSO tests (oidc-provider, a certified implementation).
// Usage: node oidc-provider.mjs <port> <client_id> <client_secret> <redirect_uri>…
// Any login name signs in (the package's development interactions) as the account of that name, whose claims are
// preferred_username = the name and email = name@example.org. Prints "ready <issuer>" once it listens.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, ...redirectUris] = process.argv.slice(2);
// localhost, not 127.0.0.1: another site than the Director's (cookies' sites ignore ports), as a real provider is.
const issuer = `http://localhost:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
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
