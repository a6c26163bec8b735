// The device authorization grant (RFC 8628): ask for codes, print them (one JSON line: the user
// approves them elsewhere), then poll the token endpoint at the interval until the user decides.
//   node device_code.mjs --issuer URL --client-id ID [--client-secret S] [--auth none] [--scope S]
//     [--dpop ES256]
import * as lib from './lib.mjs'

const { oauth, INSECURE } = lib

await lib.main(async () => {
  const values = lib.args()
  const as = await lib.discover(values.issuer)
  const { client, auth } = await lib.client(values, as)
  const DPoP = await lib.dpop(values, client)
  const parameters = new URLSearchParams()
  if (values.scope) parameters.set('scope', values.scope)
  const started = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, auth, parameters, INSECURE),
  )
  process.stdout.write(JSON.stringify({ started }) + '\n')
  let interval = started.interval ?? 5
  const seen = []
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000))
    try {
      const tokens = await lib.retryingNonce(async () => {
        const response = await oauth.deviceCodeGrantRequest(as, client, auth, started.device_code, { DPoP, ...INSECURE })
        return oauth.processDeviceCodeResponse(as, client, response)
      })
      const result = { tokens: lib.tokenResult(tokens), polled: seen }
      if (DPoP) result.dpop_jkt = await DPoP.calculateThumbprint()
      return result
    } catch (err) {
      if (!(err instanceof oauth.ResponseBodyError)) throw err
      seen.push(err.error)
      if (err.error === 'slow_down') interval += 5
      else if (err.error !== 'authorization_pending') throw err
    }
  }
})
