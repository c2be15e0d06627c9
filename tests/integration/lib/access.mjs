// A stand-in for a Cloudflare Access team on loopback: it publishes the
// JWKS of a key pair made for this run at /cdn-cgi/access/certs, and signs
// assertions (RS256) the way Access does, for the gateway's SSO path.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';

export const ACCESS_AUD = 'alephant-console-test-aud';

/** Starts the issuer; its private key goes to the test processes as PEM. */
export async function startAccessIssuer() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/cdn-cgi/access/certs') {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    fetches: () => fetches,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

const b64url = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

/** An Access assertion for `email`, signed with `pem` (default: the run's key). */
export function accessJwt(email, { pem = process.env.ACCESS_TEST_KEY_PEM, issuer = process.env.ACCESS_TEST_ISSUER,
  aud = ACCESS_AUD, expiresIn = 300, kid = 'test-key-1', claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid, typ: 'JWT' };
  const payload = { aud: [aud], email, iss: issuer, iat: now, nbf: now, exp: now + expiresIn, sub: `user-${email}`, type: 'app', ...claims };
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = sign('RSA-SHA256', Buffer.from(input), createPrivateKey(pem)).toString('base64url');
  return `${input}.${signature}`;
}

/** A key pair the team never published, for forged assertions. */
export function strangerPem() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
}
