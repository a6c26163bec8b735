// Pushed authorization requests (RFC 9126) as panva's oauth4webapi makes them, spec-strict.
//   node par.mjs push ISSUER CLIENT_ID SECRET|- REDIRECT_URI SCOPE
//     -> {"authorization_url", "request_uri", "expires_in", "code_verifier", "state"}
//   node par.mjs redeem ISSUER CLIENT_ID SECRET|- REDIRECT_URI CALLBACK_URL CODE_VERIFIER STATE
//     -> {"access_token", "token_type", "scope"}
// A secret of "-" means a public client (token_endpoint_auth_method none). Errors: exit 1.
import * as oauth from "oauth4webapi";

const insecure = { [oauth.allowInsecureRequests]: true }; // the test server is http on loopback

async function discover(issuer) {
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...insecure });
  return oauth.processDiscoveryResponse(new URL(issuer), response);
}

function authentication(secret) {
  return secret === "-" ? oauth.None() : oauth.ClientSecretBasic(secret);
}

async function push(as, client, secret, redirectUri, scope) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const parameters = new URLSearchParams({
    response_type: "code",
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  const response = await oauth.pushedAuthorizationRequest(
    as, client, authentication(secret), parameters, insecure,
  );
  const result = await oauth.processPushedAuthorizationResponse(as, client, response);
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("request_uri", result.request_uri);
  return {
    authorization_url: url.href,
    request_uri: result.request_uri,
    expires_in: result.expires_in,
    code_verifier: codeVerifier,
    state,
  };
}

async function redeem(as, client, secret, redirectUri, callbackUrl, codeVerifier, state) {
  const callback = oauth.validateAuthResponse(as, client, new URL(callbackUrl), state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, authentication(secret), callback, redirectUri, codeVerifier, insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  return { access_token: tokens.access_token, token_type: tokens.token_type, scope: tokens.scope };
}

const [command, issuer, clientId, secret, redirectUri, ...rest] = process.argv.slice(2);
try {
  const as = await discover(issuer);
  const client = { client_id: clientId };
  const result = command === "push"
    ? await push(as, client, secret, redirectUri, rest[0])
    : await redeem(as, client, secret, redirectUri, ...rest);
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  process.stderr.write(`${error.name}: ${error.message} ${JSON.stringify(error.cause ?? "")}\n`);
  process.exit(1);
}
