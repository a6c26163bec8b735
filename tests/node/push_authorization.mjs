// A pushed authorization request alone (RFC 9126): prints the server's answer and the
// authorization URL that uses it, for the Python side to follow (or to tamper with).
//   node push_authorization.mjs --issuer URL --client-id ID [--client-secret S] [--auth METHOD] [--key-file JWK]
//     --redirect-uri URI [--scope S] [--jar] [--dpop ES256]
import * as lib from './lib.mjs'

const { oauth, INSECURE } = lib

await lib.main(async () => {
  const values = lib.args({ 'redirect-uri': { type: 'string' }, jar: { type: 'boolean', default: false } })
  const as = await lib.discover(values.issuer)
  const { client, auth } = await lib.client(values, as)
  const DPoP = await lib.dpop(values, client)
  const codeVerifier = oauth.generateRandomCodeVerifier()
  let parameters = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: values['redirect-uri'],
    scope: values.scope,
    state: oauth.generateRandomState(),
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  })
  if (values.jar) {
    const request = await oauth.issueRequestObject(as, client, parameters, await lib.privateKey(values['key-file']))
    parameters = new URLSearchParams({ client_id: client.client_id, request })
  }
  const pushed = await lib.retryingNonce(async () => {
    const response = await oauth.pushedAuthorizationRequest(as, client, auth, parameters, { DPoP, ...INSECURE })
    return oauth.processPushedAuthorizationResponse(as, client, response)
  })
  const url = new URL(as.authorization_endpoint)
  url.search = new URLSearchParams({ client_id: client.client_id, request_uri: pushed.request_uri }).toString()
  return { ...pushed, authorization_url: url.href, code_verifier: codeVerifier }
})
