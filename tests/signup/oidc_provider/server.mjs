// A real OpenID Connect provider (panva/oidc-provider) for tests/signup/test_oidc.py.
//
// Configured from the environment by the test fixture:
//   PORT           port to listen on (127.0.0.1 only)
//   CLIENT_ID      the one registered client
//   CLIENT_SECRET  its secret (client_secret_basic)
//   REDIRECT_URI   its one registered redirect URI (dream-api's /signin/oidc/callback)
//
// It uses the provider's development interactions: a login form that accepts any login
// name and password, then a consent form. The login name becomes the account id; its
// claims are email = the login name, email_verified = true unless the name starts with
// "unverified". Prints "ready <issuer>" on stdout once it listens.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

// A fresh RSA signing key per run: the relying party must fetch it from the JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${Date.now()}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name'],
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: sub,
          email_verified: !sub.startsWith('unverified'),
          given_name: 'Test',
          family_name: 'User',
          name: 'Test User',
        };
      },
    };
  },
  cookies: { keys: ['dreamapi-tests-only-cookie-signing-key'] },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
