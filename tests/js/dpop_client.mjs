// oauth4webapi (panva) as a DPoP client of a running oauthcore: prints what it saw, as JSON.
//   ISSUER=... CLIENT_ID=... CLIENT_SECRET=... node tests/js/dpop_client.mjs
import * as oauth from 'oauth4webapi'

const issuer = new URL(process.env.ISSUER)
const insecure = { [oauth.allowInsecureRequests]: true } // the test server is plain http on loopback
const seen = {}
const as = await oauth.processDiscoveryResponse(
  issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }))
seen.algs = as.dpop_signing_alg_values_supported
const client = { client_id: process.env.CLIENT_ID }
const auth = oauth.ClientSecretBasic(process.env.CLIENT_SECRET)
const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))

async function grant () {
  const response = await oauth.clientCredentialsGrantRequest(
    as, client, auth, new URLSearchParams({ scope: 'publish' }), { ...insecure, DPoP })
  return oauth.processClientCredentialsResponse(as, client, response)
}
let tokens
try {
  tokens = await grant()
} catch (err) {
  if (!oauth.isDPoPNonceError(err)) throw err
  seen.nonce_asked = true // the library keeps the DPoP-Nonce and signs the retry with it
  tokens = await grant()
}
seen.token_type = tokens.token_type
const api = new URL('/api/publish/', issuer)
const call = (dpop) => oauth.protectedResourceRequest(
  tokens.access_token, 'POST', api, new Headers(), undefined, { ...insecure, DPoP: dpop })
seen.api = (await call(DPoP)).status
try {
  await call(oauth.DPoP(client, await oauth.generateKeyPair('ES256')))
  seen.other_key = 'accepted'
} catch (err) {
  const dpop = (err.cause || []).find((challenge) => challenge.scheme === 'dpop')
  seen.other_key = dpop && dpop.parameters.error
}
const bearer = await fetch(api, {
  method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` }
})
seen.as_bearer = bearer.status
console.log(JSON.stringify(seen))
