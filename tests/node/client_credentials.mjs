// The client credentials grant (RFC 6749 4.4), with any client authentication method, DPoP
// optional; then the API call, introspection and revocation asked for.
//   node client_credentials.mjs --issuer URL --client-id ID [--client-secret S] [--auth METHOD]
//     [--key-file JWK] [--scope S] [--dpop ES256] [--api URL] [--introspect] [--revoke]
import * as lib from './lib.mjs'

const { oauth, INSECURE } = lib

await lib.main(async () => {
  const values = lib.args({ 'api-method': { type: 'string' } })
  const as = await lib.discover(values.issuer)
  const { client, auth } = await lib.client(values, as)
  const DPoP = await lib.dpop(values, client)
  const parameters = new URLSearchParams()
  if (values.scope) parameters.set('scope', values.scope)
  if (values.resource) parameters.set('resource', values.resource)
  const tokens = await lib.retryingNonce(async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, { DPoP, ...INSECURE })
    return oauth.processClientCredentialsResponse(as, client, response)
  })
  const result = { tokens: lib.tokenResult(tokens) }
  if (DPoP) result.dpop_jkt = await DPoP.calculateThumbprint()
  if (values.api) result.api = await lib.callApi(values, tokens.access_token, DPoP)
  Object.assign(result, await lib.introspectAndRevoke(values, as, client, auth, tokens.access_token, DPoP))
  return result
})
