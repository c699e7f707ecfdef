// A relying party built on openid-client (panva, OpenID-certified) that signs a user in at
// an authgate issuer the way a real web application would, for tests/e2e.
//
//   node rp.mjs login    < {"issuer", "connect", "client_id", "client_secret"?, ...}
//   node rp.mjs deny     < the same as login
//   node rp.mjs verify   < {"issuer", "connect", "client_id", "id_token"}
//
// With "foreign_keys": true, login sees a JWKS of keys the issuer never held, and must fail.
//
// The request is one JSON object on stdin (secrets stay out of argv); the answer is one JSON
// object on stdout: the summary, or {"error": {...}} with the library's error and exit 1.
//
// Every HTTP request, the library's and the scripted browser's, goes to `connect`
// (127.0.0.1:PORT) while naming the URL's own host in the Host header, so that issuers on
// names nothing resolves here (acme.localtest:PORT) are reached on the loopback only.

import { createHash } from 'node:crypto'
import http from 'node:http'
import * as client from 'openid-client'
import * as jose from 'jose'

const TIMEOUT_MS = 10_000

function send(connect, url, { method = 'GET', headers = {}, body } = {}) {
  const target = new URL(url)
  if (target.protocol !== 'http:') {
    throw new Error(`refusing a non-loopback request to ${target.href}`)
  }
  const [host, port] = connect.split(':')
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host,
        port: Number(port),
        method,
        path: target.pathname + target.search,
        headers: { ...headers, host: target.host },
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        )
        response.on('error', reject)
      },
    )
    request.on('timeout', () => request.destroy(new Error(`timeout: ${method} ${target.href}`)))
    request.on('error', reject)
    if (body !== undefined && body !== null) request.write(body)
    request.end()
  })
}

/** The Fetch API over `send`: what openid-client's customFetch calls. */
function loopbackFetch(connect) {
  return async (url, options = {}) => {
    const headers = Object.fromEntries(new Headers(options.headers ?? {}).entries())
    let body = options.body
    if (body instanceof URLSearchParams) body = body.toString()
    const answer = await send(connect, url, { method: options.method ?? 'GET', headers, body })
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of [].concat(value)) responseHeaders.append(name, one)
    }
    const empty = answer.status === 204 || answer.status === 304
    return new Response(empty ? null : answer.body, {
      status: answer.status,
      headers: responseHeaders,
    })
  }
}

/** Cookies per host (RFC 6265 host-only cookies, with their Path). */
class CookieJar {
  constructor() {
    this.byHost = new Map()
  }

  store(url, setCookie) {
    const { host } = new URL(url)
    const jar = this.byHost.get(host) ?? new Map()
    this.byHost.set(host, jar)
    for (const line of [].concat(setCookie ?? [])) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      let path = '/'
      let gone = value === ''
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=')
        if (key.toLowerCase() === 'path') path = val || '/'
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) gone = true
      }
      const key = `${name};${path}`
      if (gone) jar.delete(key)
      else jar.set(key, { name, value, path })
    }
  }

  header(url) {
    const { host, pathname } = new URL(url)
    const jar = this.byHost.get(host) ?? new Map()
    const matching = [...jar.values()].filter(
      (c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'),
    )
    return matching.map((c) => `${c.name}=${c.value}`).join('; ')
  }
}

function unescapeHtml(text) {
  return text
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function attributes(tag) {
  const found = {}
  for (const [, name, value] of tag.matchAll(/([a-zA-Z_-]+)="([^"]*)"/g)) {
    found[name.toLowerCase()] = unescapeHtml(value)
  }
  return found
}

function formsOf(page) {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, head, inner]) => ({
    action: attributes(head).action ?? '',
    inputs: [...inner.matchAll(/<input\b[^>]*>/g)].map(([tag]) => attributes(tag)),
  }))
}

/**
 * A user at a browser: open the authorization URL, sign in, allow or deny; the URL the
 * issuer finally redirects to (the client's callback, with a query or a fragment). Every
 * page must come from the issuer's origin.
 */
async function signIn(connect, jar, authorizationUrl, redirectUri, email, password, decision) {
  const origin = new URL(authorizationUrl).origin
  let url = authorizationUrl.href
  let method = 'GET'
  let body
  const pages = []
  for (let step = 0; step < 10; step += 1) {
    if (new URL(url).origin !== origin) throw new Error(`left the issuer's origin: ${url}`)
    const headers = { cookie: jar.header(url) }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const answer = await send(connect, url, { method, headers, body })
    jar.store(url, answer.headers['set-cookie'])
    pages.push(`${method} ${new URL(url).pathname} -> ${answer.status}`)
    if (answer.status >= 300 && answer.status < 400) {
      const next = new URL(answer.headers.location, url)
      if (next.href.startsWith(redirectUri + '?')) {
        return { callback: next, response: next.searchParams, mode: 'query', pages }
      }
      if (next.href.startsWith(redirectUri + '#')) {
        const response = new URLSearchParams(next.hash.slice(1))
        return { callback: next, response, mode: 'fragment', pages }
      }
      ;[url, method, body] = [next.href, 'GET', undefined]
      continue
    }
    if (answer.status !== 200) {
      throw new Error(`${method} ${url}: ${answer.status} ${answer.body.toString().slice(0, 500)}`)
    }
    const forms = formsOf(answer.body.toString())
    const post = forms.find((f) => f.action === redirectUri)
    if (post) {
      // OAuth 2.0 Form Post Response Mode: the page's form posts the response to the client.
      const response = new URLSearchParams(post.inputs.map((i) => [i.name, i.value ?? '']))
      const callback = new Request(redirectUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: response.toString(),
      })
      return { callback, response, mode: 'form_post', pages }
    }
    const login = forms.find((f) => f.inputs.some((i) => i.type === 'password'))
    const consent = forms.find((f) => f.action.endsWith('/oauth/authorize/decision'))
    const form = login ?? consent
    if (!form) throw new Error(`no sign-in or consent form at ${url}`)
    const fields = new URLSearchParams()
    for (const input of form.inputs) {
      if (input.name && input.type === 'hidden') fields.set(input.name, input.value ?? '')
    }
    if (form === login) {
      fields.set('email', email)
      fields.set('password', password)
    } else {
      fields.set('decision', decision)
    }
    ;[url, method, body] = [new URL(form.action, url).href, 'POST', fields.toString()]
  }
  throw new Error(`no redirect to ${redirectUri} after: ${pages.join(', ')}`)
}

function header(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString())
}

/** Core §3.1.3.8 / §3.2.2.9: the left half of SHA-256 over the access token (RS256/ES256). */
function leftHalfHash(value) {
  const digest = createHash('sha256').update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

/**
 * The negative control: the issuer's JWKS with each key swapped for a fresh one of the same
 * kid and alg, as an attacker who cannot sign would have it; the library must refuse.
 */
function withForeignKeys(fetch) {
  return async (url, options) => {
    const response = await fetch(url, options)
    if (!new URL(url).pathname.endsWith('/.well-known/jwks.json')) return response
    const keys = []
    for (const key of (await response.json()).keys) {
      const { publicKey } = await jose.generateKeyPair(key.alg, { extractable: true })
      keys.push({ ...(await jose.exportJWK(publicKey)), kid: key.kid, alg: key.alg, use: 'sig' })
    }
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    return new Response(JSON.stringify({ keys }), { status: 200, headers })
  }
}

const AUTH = {
  basic: (secret) => client.ClientSecretBasic(secret),
  post: (secret) => client.ClientSecretPost(secret),
  none: () => client.None(),
}

async function discover(request, fetch) {
  const execute = [client.allowInsecureRequests, client.enableNonRepudiationChecks]
  if (request.hybrid) execute.push(client.useCodeIdTokenResponseType)
  return client.discovery(
    new URL(request.issuer),
    request.client_id,
    { redirect_uris: [request.redirect_uri] },
    AUTH[request.auth ?? (request.client_secret ? 'basic' : 'none')](request.client_secret),
    {
      algorithm: request.discovery ?? 'oidc',
      // The issuers are plain-HTTP loopback servers. enableNonRepudiationChecks: verify
      // every id token's JWS signature against jwks_uri, which the library skips by default
      // for tokens from the token endpoint (Core §3.1.3.7 step 6 lets TLS stand in for it);
      // front-channel id tokens (hybrid) it always verifies.
      execute,
      [client.customFetch]: fetch,
      timeout: TIMEOUT_MS / 1000,
    },
  )
}

/** The authorization request with PKCE S256, state and nonce, through the user's browser
 * (its cookies in `jar`); the response and the checks the token request needs. */
async function authorizationRequest(config, request, jar, extra = {}) {
  const codeVerifier = client.randomPKCECodeVerifier()
  const checks = {
    pkceCodeVerifier: codeVerifier,
    expectedState: client.randomState(),
    expectedNonce: client.randomNonce(),
    idTokenExpected: true,
  }
  const parameters = {
    redirect_uri: request.redirect_uri,
    scope: request.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  }
  if (request.response_mode) parameters.response_mode = request.response_mode
  if (request.max_age !== undefined) {
    parameters.max_age = String(request.max_age)
    checks.maxAge = request.max_age
  }
  const url = client.buildAuthorizationUrl(config, parameters)
  const answer = await signIn(
    request.connect,
    jar,
    url,
    request.redirect_uri,
    request.email,
    request.password,
    request.decision ?? 'allow',
  )
  return { checks, ...answer }
}

/** What the library throws for `promise`, or null if it did not. */
async function refusal(promise) {
  try {
    await promise
    return null
  } catch (error) {
    return describe(error)
  }
}

async function login(request) {
  const loopback = loopbackFetch(request.connect)
  const fetch = request.foreign_keys ? withForeignKeys(loopback) : loopback
  const config = await discover(request, fetch)
  const metadata = config.serverMetadata()
  const jar = new CookieJar()
  const { checks, callback, response, mode, pages } = await authorizationRequest(
    config,
    request,
    jar,
  )
  // Checks state, the RFC 9207 iss parameter and PKCE; the id token's signature (JWKS),
  // iss, aud, azp, exp, iat, nonce (and auth_time against max_age); for the hybrid flow the
  // front-channel id token too, with its c_hash, and that both name the same sub.
  const again = callback instanceof Request ? callback.clone() : callback // for used_code
  const tokens = await client.authorizationCodeGrant(config, callback, checks)
  const claims = tokens.claims()
  // Checks the sub against the id token's (Core §5.3.2).
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
  const refreshedClaims = refreshed.claims() ?? null
  // Core §3.1.2.1: signed in already and consent given, prompt=none comes straight back.
  const silent = await authorizationRequest(config, request, jar, { prompt: 'none' })
  const silentTokens = await client.authorizationCodeGrant(config, silent.callback, silent.checks)
  return {
    library: 'openid-client',
    issuer: metadata.issuer,
    endpoints: {
      authorization: metadata.authorization_endpoint,
      token: metadata.token_endpoint,
      userinfo: metadata.userinfo_endpoint,
      jwks: metadata.jwks_uri,
    },
    pages,
    callback: { iss: response.get('iss'), mode },
    token_type: tokens.token_type,
    scope: tokens.scope,
    expires_in: tokens.expiresIn(),
    id_token: tokens.id_token,
    id_token_header: header(tokens.id_token),
    claims,
    // The library does not check at_hash (Core §3.1.3.8 makes it optional in the code flow).
    at_hash_matches: claims.at_hash === leftHalfHash(tokens.access_token),
    userinfo,
    refreshed: {
      token_type: refreshed.token_type,
      scope: refreshed.scope,
      new_access_token: refreshed.access_token !== tokens.access_token,
      new_refresh_token:
        Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
      id_token_header: refreshed.id_token ? header(refreshed.id_token) : null,
      claims: refreshedClaims,
      at_hash_matches:
        refreshedClaims !== null && refreshedClaims.at_hash === leftHalfHash(refreshed.access_token),
    },
    silent: { pages: silent.pages, claims: silentTokens.claims() },
    // How the library takes the server's refusals: a used (rotated) refresh token, a bearer
    // token the server never issued, the same code twice.
    refused: {
      used_refresh_token: await refusal(client.refreshTokenGrant(config, tokens.refresh_token)),
      unknown_access_token: await refusal(
        client.fetchUserInfo(config, 'not-a-token', client.skipSubjectCheck),
      ),
      used_code: await refusal(client.authorizationCodeGrant(config, again, checks)),
    },
  }
}

/** The user denies: the error response as the library reports it (RFC 6749 §4.1.2.1). */
async function deny(request) {
  const config = await discover(request, loopbackFetch(request.connect))
  const { checks, callback, response } = await authorizationRequest(
    config,
    { ...request, decision: 'deny' },
    new CookieJar(),
  )
  return {
    callback_iss: response.get('iss'),
    refused: await refusal(client.authorizationCodeGrant(config, callback, checks)),
  }
}

/** A stored id token verified later, by jose, against the JWKS the issuer publishes now. */
async function verify(request) {
  const fetch = loopbackFetch(request.connect)
  const discovered = await fetch(new URL('.well-known/openid-configuration', request.issuer + '/'))
  const metadata = await discovered.json()
  const jwks = await (await fetch(metadata.jwks_uri)).json()
  const { payload, protectedHeader } = await jose.jwtVerify(
    request.id_token,
    jose.createLocalJWKSet(jwks),
    { issuer: request.issuer, audience: request.client_id, algorithms: ['RS256'] },
  )
  return { kids: jwks.keys.map((k) => k.kid), header: protectedHeader, claims: payload }
}

/** The library's error with its chain of causes, as plain JSON. */
function describe(error, depth = 0) {
  if (!(error instanceof Error)) {
    // A cause such as {header, claims, jwks_uri}: what fits in a line, no key material.
    if (typeof error !== 'object' || error === null) return error
    if (Array.isArray(error)) return error.slice(0, 10).map((one) => describe(one, depth + 1))
    const out = {}
    for (const [key, value] of Object.entries(error)) {
      const text = JSON.stringify(value instanceof URL ? value.href : value)
      if (text !== undefined && text.length <= 1000 && !ArrayBuffer.isView(value)) {
        out[key] = JSON.parse(text)
      }
    }
    return out
  }
  const out = { name: error.name, code: error.code, message: error.message }
  for (const key of ['error', 'error_description', 'status']) {
    if (error[key] !== undefined) out[key] = error[key]
  }
  if (error.cause !== undefined && depth < 4) out.cause = describe(error.cause, depth + 1)
  return out
}

async function main() {
  const operations = { login, deny, verify }
  const operation = operations[process.argv[2]]
  if (!operation) throw new Error(`usage: node rp.mjs ${Object.keys(operations).join('|')}`)
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const request = JSON.parse(Buffer.concat(chunks).toString())
  process.stdout.write(JSON.stringify(await operation(request)) + '\n')
}

const deadline = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: { message: 'rp.mjs timed out' } }) + '\n')
  process.exit(2)
}, 3 * TIMEOUT_MS)
deadline.unref()

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: describe(error) }) + '\n')
  process.exitCode = 1
})
