/** PKCE (RFC 7636, S256 only) with WebCrypto: browsers, Deno, edge runtimes, Node >= 19 (or pass `crypto`). */

function webCrypto(override?: Crypto): Crypto {
  const crypto = override ?? (globalThis as { crypto?: Crypto }).crypto;
  if (!crypto?.subtle || !crypto.getRandomValues) {
    throw new Error("DreamAPI: PKCE needs WebCrypto; on Node 18 pass { crypto: require('node:crypto').webcrypto }");
  }
  return crypto;
}

export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh code verifier: 32 random bytes, base64url (43 characters). */
export function createCodeVerifier(crypto?: Crypto): string {
  const bytes = new Uint8Array(32);
  webCrypto(crypto).getRandomValues(bytes);
  return base64Url(bytes);
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallengeS256(verifier: string, crypto?: Crypto): Promise<string> {
  const digest = await webCrypto(crypto).subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}
