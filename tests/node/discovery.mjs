// RFC 8414 discovery, checked by oauth4webapi: prints the authorization server's metadata.
//   node discovery.mjs --issuer URL
import { args, discover, main } from './lib.mjs'

await main(async () => {
  const values = args()
  return discover(values.issuer)
})
