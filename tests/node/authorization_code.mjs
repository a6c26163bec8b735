// The authorization code flow with PKCE S256 (RFC 6749 4.1, RFC 7636), OpenID Connect when the
// scope holds "openid" (the ID token validated by oauth4webapi), and optionally PAR (RFC 9126),
// a signed request object (JAR, RFC 9101), DPoP (RFC 9449); then UserInfo, the API call, a refresh,
// introspection and revocation.
//
//   node authorization_code.mjs --issuer URL --client-id ID [--client-secret S] [--auth METHOD]
//     --redirect-uri URI [--scope S] [--par] [--jar --key-file JWK] [--dpop ES256 [--dpop-jkt]]
//     [--api URL] [--userinfo] [--refresh] [--introspect] [--revoke]
//
// The user's part happens elsewhere: the script prints {"authorization_url": ...} on its first
// stdout line, then reads the URL the browser was sent back to (the callback) from stdin, and
// prints its result as the last line.
import * as lib from './lib.mjs'

const { oauth, INSECURE } = lib

await lib.main(async () => {
  const values = lib.args({
    'redirect-uri': { type: 'string' },
    'api-method': { type: 'string' },
    par: { type: 'boolean', default: false },
    jar: { type: 'boolean', default: false },
    'dpop-jkt': { type: 'boolean', default: false },
    refresh: { type: 'boolean', default: false },
    userinfo: { type: 'boolean', default: false },
  })
  const as = await lib.discover(values.issuer)
  const { client, auth } = await lib.client(values, as)
  const DPoP = await lib.dpop(values, client)
  const redirectUri = values['redirect-uri']
  const openid = values.scope.split(' ').includes('openid')

  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = openid ? oauth.generateRandomNonce() : undefined
  let parameters = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: values.scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  })
  if (nonce) parameters.set('nonce', nonce)
  if (values.resource) parameters.set('resource', values.resource)
  if (values['dpop-jkt']) parameters.set('dpop_jkt', await DPoP.calculateThumbprint())
  if (values.jar) {
    const request = await oauth.issueRequestObject(as, client, parameters, await lib.privateKey(values['key-file']))
    parameters = new URLSearchParams({ client_id: client.client_id, request })
  }
  let pushed
  if (values.par) {
    pushed = await lib.retryingNonce(async () => {
      const response = await oauth.pushedAuthorizationRequest(as, client, auth, parameters, { DPoP, ...INSECURE })
      return oauth.processPushedAuthorizationResponse(as, client, response)
    })
    parameters = new URLSearchParams({ client_id: client.client_id, request_uri: pushed.request_uri })
  }
  const authorizationUrl = new URL(as.authorization_endpoint)
  authorizationUrl.search = parameters.toString()
  process.stdout.write(JSON.stringify({ authorization_url: authorizationUrl.href, pushed }) + '\n')

  const callback = new URL(await lib.readLine())
  const callbackParameters = oauth.validateAuthResponse(as, client, callback, state)
  const tokens = await lib.retryingNonce(async () => {
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, callbackParameters, redirectUri, codeVerifier, {
      DPoP,
      ...INSECURE,
    })
    return oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: openid })
  })
  const result = { pushed, tokens: lib.tokenResult(tokens) }
  if (DPoP) result.dpop_jkt = await DPoP.calculateThumbprint()
  const idToken = oauth.getValidatedIdTokenClaims(tokens)
  if (idToken) result.id_token_claims = idToken
  let accessToken = tokens.access_token
  if (values.userinfo) {
    // OpenID Connect UserInfo: oauth4webapi checks its sub against the ID token's.
    result.userinfo = await lib.retryingNonce(async () => {
      const response = await oauth.userInfoRequest(as, client, accessToken, { DPoP, ...INSECURE })
      return oauth.processUserInfoResponse(as, client, idToken.sub, response)
    })
  }
  if (values.api) result.api = await lib.callApi(values, accessToken, DPoP)
  if (values.refresh) {
    const refreshed = await lib.retryingNonce(async () => {
      const response = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, { DPoP, ...INSECURE })
      return oauth.processRefreshTokenResponse(as, client, response)
    })
    result.refreshed = lib.tokenResult(refreshed)
    accessToken = refreshed.access_token
    if (values.api) result.api_after_refresh = await lib.callApi(values, accessToken, DPoP)
  }
  Object.assign(result, await lib.introspectAndRevoke(values, as, client, auth, accessToken, DPoP))
  return result
})
