// What the scripts share: arguments, discovery, client authentication, keys, DPoP, output.
//
// Every script prints exactly one JSON result line on stdout and exits 0; on failure it prints
// one JSON line on stderr ({"code", "message", "error", "error_description", "status"}: the
// oauth4webapi error code and the server's OAuth error, when there is one) and exits 1.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as oauth from 'oauth4webapi'

export { oauth }

// The example project is served over plain http on a loopback port in the tests.
export const INSECURE = { [oauth.allowInsecureRequests]: true }

const COMMON_OPTIONS = {
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  // client_secret_basic | client_secret_post | none | private_key_jwt | client_secret_jwt
  auth: { type: 'string', default: 'client_secret_basic' },
  // A private JWK (JSON file, with "alg" and "kid") for private_key_jwt and request objects.
  'key-file': { type: 'string' },
  scope: { type: 'string', default: '' },
  resource: { type: 'string' },
  // Bind the tokens to a DPoP key made here (RFC 9449); the value is its JWS algorithm.
  dpop: { type: 'string' },
  // A protected resource to call with the access token (protectedResourceRequest).
  api: { type: 'string' },
  introspect: { type: 'boolean', default: false },
  revoke: { type: 'boolean', default: false },
}

/** Parse argv (the base URL also comes from OAUTH_ISSUER). */
export function args(extra = {}) {
  const { values } = parseArgs({ options: { ...COMMON_OPTIONS, ...extra }, strict: true })
  values.issuer ||= process.env.OAUTH_ISSUER
  if (!values.issuer) throw new TypeError('--issuer (or OAUTH_ISSUER) is required')
  return values
}

/** RFC 8414 discovery with oauth4webapi's own checks (issuer must match exactly). */
export async function discover(issuer) {
  const issuerUrl = new URL(issuer)
  const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...INSECURE })
  return oauth.processDiscoveryResponse(issuerUrl, response)
}

const IMPORT_PARAMETERS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
  Ed25519: { name: 'Ed25519' },
}

/** Read a private JWK from a file: {key: CryptoKey, kid}, as oauth4webapi takes it. */
export async function privateKey(path) {
  if (!path) throw new TypeError('--key-file is required for this flow')
  const jwk = JSON.parse(readFileSync(path, 'utf8'))
  const algorithm = IMPORT_PARAMETERS[jwk.alg]
  if (!algorithm) throw new TypeError(`unsupported key alg ${jwk.alg}`)
  const key = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign'])
  return { key, kid: jwk.kid }
}

/** The client and its authentication, as named by --auth. */
export async function client(values, as) {
  const client = { client_id: values['client-id'] }
  if (!client.client_id) throw new TypeError('--client-id is required')
  const secret = values['client-secret']
  const methods = {
    client_secret_basic: () => oauth.ClientSecretBasic(secret),
    client_secret_post: () => oauth.ClientSecretPost(secret),
    client_secret_jwt: () => oauth.ClientSecretJwt(secret),
    none: () => oauth.None(),
  }
  let auth
  if (values.auth === 'private_key_jwt') {
    auth = oauth.PrivateKeyJwt(await privateKey(values['key-file']))
  } else if (methods[values.auth]) {
    auth = methods[values.auth]()
  } else {
    throw new TypeError(`unknown --auth ${values.auth}`)
  }
  const idTokenAlgs = as.id_token_signing_alg_values_supported
  if (idTokenAlgs?.length && !idTokenAlgs.includes('RS256')) {
    client.id_token_signed_response_alg = idTokenAlgs[0]
  }
  return { client, auth }
}

/** A DPoP handle on a fresh non-extractable key pair, or undefined without --dpop. */
export async function dpop(values, client) {
  if (!values.dpop) return undefined
  const keyPair = await oauth.generateKeyPair(values.dpop)
  return oauth.DPoP(client, keyPair)
}

/** Run ``attempt`` again once when the server asks for a (fresh) DPoP nonce. */
export async function retryingNonce(attempt) {
  try {
    return await attempt()
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return attempt()
    throw err
  }
}

/** Decode a JWT's payload without verifying it (the Python side verifies). */
export function claimsOf(jwt) {
  const payload = jwt.split('.')[1]
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
}

/** What a token endpoint response says, for the Python side. */
export function tokenResult(tokens) {
  return {
    token_type: tokens.token_type,
    access_token: tokens.access_token,
    access_token_claims: claimsOf(tokens.access_token),
    expires_in: tokens.expires_in,
    scope: tokens.scope,
    refresh_token: tokens.refresh_token,
  }
}

/** Call a protected resource with the token (Bearer, or DPoP with a proof and `ath`); a refusal
 * (a WWW-Authenticate challenge) is a result too: {status, challenges}. */
export async function callApi(values, accessToken, DPoP) {
  const url = new URL(values.api)
  const method = values['api-method'] || 'GET'
  let response
  try {
    response = await retryingNonce(() =>
      oauth.protectedResourceRequest(accessToken, method, url, undefined, undefined, { DPoP, ...INSECURE }),
    )
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      return { status: err.response.status, challenges: err.cause }
    }
    throw err
  }
  const text = await response.text()
  let body
  try {
    body = JSON.parse(text)
  } catch {
    body = text.slice(0, 500)
  }
  return { status: response.status, body }
}

/** Introspect (RFC 7662) and revoke (RFC 7009) the token, as the client that holds it. */
export async function introspectAndRevoke(values, as, client, auth, token, DPoP) {
  const result = {}
  if (values.introspect) {
    const response = await oauth.introspectionRequest(as, client, auth, token, INSECURE)
    result.introspection = await oauth.processIntrospectionResponse(as, client, response)
  }
  if (values.revoke) {
    const response = await oauth.revocationRequest(as, client, auth, token, INSECURE)
    await oauth.processRevocationResponse(response)
    result.revoked = true
    if (values.introspect) {
      const again = await oauth.introspectionRequest(as, client, auth, token, INSECURE)
      result.introspection_after_revocation = await oauth.processIntrospectionResponse(as, client, again)
    }
    if (values.api) result.api_after_revocation = await callApi(values, token, DPoP)
  }
  return result
}

/** Run the script's main; print its result, or the error, as one JSON line. */
export async function main(run) {
  try {
    const result = await run()
    process.stdout.write(JSON.stringify(result) + '\n')
  } catch (err) {
    const cause = err?.cause
    const detail = {
      code: err?.code,
      name: err?.name,
      message: err?.message,
      error: err?.error ?? cause?.error,
      error_description: err?.error_description ?? cause?.error_description,
      status: err?.status ?? err?.response?.status,
    }
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      detail.challenges = err.cause
      // The OAuth error is in the body too (a token endpoint's 401 for a failed authentication).
      const body = await err.response.json().catch(() => undefined)
      detail.error ??= body?.error ?? err.cause?.[0]?.parameters?.error
      detail.error_description ??= body?.error_description ?? err.cause?.[0]?.parameters?.error_description
    }
    process.stderr.write(JSON.stringify(detail) + '\n')
    process.exitCode = 1
  }
}

/** Read one line from stdin (the Python side writes the callback URL there). */
export async function readLine() {
  let buffered = ''
  for await (const chunk of process.stdin) {
    buffered += chunk
    const end = buffered.indexOf('\n')
    if (end >= 0) return buffered.slice(0, end).trim()
  }
  return buffered.trim()
}
