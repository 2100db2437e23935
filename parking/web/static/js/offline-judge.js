// Judging a parking pass on the inspector's phone, from the offline bundle alone. The same checks,
// in the same order and with the same reasons, as the server's resident_card/credentials/jws.py
// (verify_credential) and parking/offline.py (judge_pass, judge_offline, zone_at):
// tests/web/test_inspect_offline.py holds the page's verdicts to the API's, pass for pass.
// Pure: no page, no storage, no clock of its own (the caller gives "now").

const ALGORITHM = "ES256";
const MAX_TOKEN_LENGTH = 4096;
const COORDINATE_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]*$/;
const ALLOWING = new Set(["valid_permit", "active_session"]);

// How the signature check's refusals read to an inspector (parking/offline.py _REJECTIONS).
const REJECTIONS = {
  malformed: "malformed",
  bad_signature: "bad_signature",
  // A key the city never published (or withdrew) cannot vouch for the pass.
  unknown_kid: "bad_signature",
  expired: "expired",
  not_yet_valid: "not_yet_valid",
  wrong_audience: "not_a_pass",
};

/** The bundle is past its expires_at: it may not judge any more. */
export class StaleBundle extends Error {}
/** The zone chosen is not among the bundle's zones. */
export class UnknownZone extends Error {}
/** The point lies outside every zone's outline. */
export class PlaceOutsideZones extends Error {}

function b64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict unpadded base64url, one spelling per value (as b64url_decode on the server). */
function b64urlDecode(text) {
  if (text.length % 4 === 1 || !B64URL.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
  if (b64url(bytes) !== text) throw new Error("not canonical base64url");
  return bytes;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonObject(segment) {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlDecode(segment)));
    return isObject(value) ? value : null;
  } catch {
    return null; // bad base64url, bad UTF-8 or bad JSON
  }
}

function timestamp(value) {
  return Number.isInteger(value) ? value : null;
}

/** A moment the server wrote (ISO 8601, any number of fraction digits, UTC if no zone) in ms. */
export function instant(text) {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$/.exec(String(text));
  if (!match) return Date.parse(text);
  const fraction = (match[2] || "").padEnd(3, "0").slice(0, 3);
  return Date.parse(`${match[1]}.${fraction}${match[3] || "Z"}`);
}

const importedKeys = new Map();

function publicKey(x, y) {
  const id = `${x}.${y}`;
  if (!importedKeys.has(id)) {
    importedKeys.set(
      id,
      (async () => {
        try {
          const xBytes = b64urlDecode(x);
          const yBytes = b64urlDecode(y);
          if (xBytes.length !== COORDINATE_BYTES || yBytes.length !== COORDINATE_BYTES) return null;
          const point = new Uint8Array(1 + 2 * COORDINATE_BYTES);
          point[0] = 4;
          point.set(xBytes, 1);
          point.set(yBytes, 1 + COORDINATE_BYTES);
          return await crypto.subtle.importKey("raw", point, { name: "ECDSA", namedCurve: "P-256" }, false, [
            "verify",
          ]);
        } catch {
          return null; // not base64url, or not a point on the curve
        }
      })(),
    );
  }
  return importedKeys.get(id);
}

function field(object, name, fallback) {
  return Object.hasOwn(object, name) ? object[name] : fallback;
}

/** The usable ES256 public key with this kid in a JWKS, or null. */
async function publicKeyFor(jwks, kid) {
  const keys = isObject(jwks) ? jwks.keys : null;
  if (!Array.isArray(keys)) return null;
  for (const jwk of keys) {
    if (!isObject(jwk) || jwk.kid !== kid) continue;
    if (
      jwk.kty !== "EC" ||
      jwk.crv !== "P-256" ||
      field(jwk, "alg", ALGORITHM) !== ALGORITHM ||
      field(jwk, "use", "sig") !== "sig" ||
      typeof jwk.x !== "string" ||
      typeof jwk.y !== "string"
    ) {
      continue;
    }
    const key = await publicKey(jwk.x, jwk.y);
    if (key !== null) return key;
  }
  return null;
}

/** The claims of a token signed by a key of jwks for audience and valid at now (ms), or {rejected}. */
export async function verifyCredential(token, jwks, { audience, now, leeway = 30 }) {
  // The server counts characters (code points), not UTF-16 units.
  if (typeof token !== "string" || [...token].length > MAX_TOKEN_LENGTH) return { rejected: "malformed" };
  const parts = token.split(".");
  if (parts.length !== 3) return { rejected: "malformed" };
  const [headerSegment, payloadSegment, signatureSegment] = parts;
  const header = jsonObject(headerSegment);
  if (header === null || typeof header.kid !== "string" || Object.hasOwn(header, "crit")) {
    return { rejected: "malformed" };
  }
  if (header.alg !== ALGORITHM) return { rejected: "bad_signature" };
  const key = await publicKeyFor(jwks, header.kid);
  if (key === null) return { rejected: "unknown_kid", kid: header.kid };
  let signature;
  try {
    signature = b64urlDecode(signatureSegment);
  } catch {
    return { rejected: "malformed" };
  }
  if (signature.length !== 2 * COORDINATE_BYTES) return { rejected: "bad_signature" };
  const signed = new TextEncoder().encode(`${headerSegment}.${payloadSegment}`);
  const good = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
  if (!good) return { rejected: "bad_signature" };

  const claims = jsonObject(payloadSegment);
  if (claims === null) return { rejected: "malformed" };
  const issued = timestamp(claims.iat);
  const expiry = timestamp(claims.exp);
  const notBefore = Object.hasOwn(claims, "nbf") ? timestamp(claims.nbf) : issued;
  const { sub: subject, iss: issuer, aud } = claims;
  const jti = field(claims, "jti", null);
  if (
    issued === null ||
    expiry === null ||
    notBefore === null ||
    typeof subject !== "string" ||
    typeof issuer !== "string" ||
    !(jti === null || typeof jti === "string") ||
    !(typeof aud === "string" || (Array.isArray(aud) && aud.length > 0))
  ) {
    return { rejected: "malformed" };
  }
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(audience)) return { rejected: "wrong_audience" };
  const moment = now / 1000;
  if (moment >= expiry + leeway) return { rejected: "expired" };
  if (Math.max(issued, notBefore) > moment + leeway) return { rejected: "not_yet_valid" };
  return { subject, expiresAt: expiry * 1000, claims };
}

// The city's calendar, which a permit's last valid day is counted in (as the server counts it).
const CITY_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Jerusalem", year: "numeric", month: "2-digit", day: "2-digit" });

/** The last valid day (YYYY-MM-DD, city calendar) of something ending at "end" (ms): the day before that midnight. */
export function lastValidDay(end) {
  return CITY_DAY.format(new Date(end - 1));
}

function verdict(reason, extra = {}) {
  return {
    allowed: ALLOWING.has(reason),
    reason,
    zone: extra.zone ?? null,
    valid_until: extra.validUntil ? new Date(extra.validUntil).toISOString() : null,
    last_valid_day: extra.validUntil ? lastValidDay(extra.validUntil) : null,
  };
}

function isPlate(value) {
  return typeof value === "string" && (value.length === 7 || value.length === 8) && /^[0-9]+$/.test(value);
}

// A phone's key id (resident_card.cards.devices.is_device_kid): "d" and 16 bytes in base64url.
function isPhoneKid(kid) {
  return typeof kid === "string" && /^d[A-Za-z0-9_-]{22}$/.test(kid);
}

/**
 * A pass's verdict at "at" (ms): signed by a key of jwks for audience, not expired, not revoked
 * (revoked: pass id -> when, in ms) by then, and for "zone" when the place's zone is given.
 * A pass whose kid is among retiredKids is refused as such (its holder has a new one).
 */
export async function judgePass(
  token,
  { jwks, revoked, audience, at, zone = null, leeway = 30, retiredKids = new Set() },
) {
  const result = await verifyCredential(token, jwks, { audience, now: at, leeway });
  if (result.rejected === "unknown_kid" && retiredKids.has(result.kid)) return verdict("retired_key");
  // A card's QR its holder's phone signed: a card, not a forgery of a pass.
  if (result.rejected === "unknown_kid" && isPhoneKid(result.kid)) return verdict("not_a_pass");
  if (result.rejected) return verdict(REJECTIONS[result.rejected]);
  const { plate, zone: passZone } = result.claims;
  if (!isPlate(plate) || typeof passZone !== "string" || !passZone) return verdict("malformed");
  const common = { zone: passZone, validUntil: result.expiresAt };
  const revokedAt = revoked.get(result.subject);
  if (revokedAt !== undefined && revokedAt <= at) return verdict("revoked", common);
  if (zone !== null && zone !== passZone) return verdict("wrong_zone", common);
  return verdict("valid_permit", common);
}

// --- geometry (GeoJSON: positions are [longitude, latitude]) -----------------------------------

function ringContains(ring, x, y) {
  let inside = false;
  let j = ring.length - 1;
  for (let i = 0; i < ring.length; i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    j = i;
  }
  return inside;
}

function polygons(geometry) {
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
}

function contains(geometry, longitude, latitude) {
  return polygons(geometry).some(
    (rings) =>
      ringContains(rings[0], longitude, latitude) &&
      !rings.slice(1).some((hole) => ringContains(hole, longitude, latitude)),
  );
}

function ringArea(ring) {
  let total = 0;
  for (let i = 0; i < ring.length - 1; i += 1) {
    total += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return Math.abs(total) / 2;
}

function area(geometry) {
  let total = 0;
  for (const rings of polygons(geometry)) {
    let holes = 0;
    for (const hole of rings.slice(1)) holes += ringArea(hole);
    total += ringArea(rings[0]) - holes;
  }
  return total;
}

/** The code of the zone whose outline holds the point (the narrowest where they overlap), or null. */
export function zoneAt(zones, longitude, latitude) {
  let best = null;
  for (const zone of zones) {
    if (!zone.geometry || !contains(zone.geometry, longitude, latitude)) continue;
    const size = area(zone.geometry);
    if (best === null || size < best.size || (size === best.size && zone.code < best.code)) {
      best = { size, code: zone.code };
    }
  }
  return best === null ? null : best.code;
}

/**
 * Judge a scanned pass from the offline bundle alone, at "now" (ms): the verdict the API gives.
 * The place is a zone code, or a point (the zone whose outline holds it); neither judges the pass
 * for its own zone. Throws StaleBundle, UnknownZone or PlaceOutsideZones.
 */
export async function judgeOffline(token, bundle, { now, zone = null, longitude = null, latitude = null }) {
  if (now >= instant(bundle.expires_at)) throw new StaleBundle();
  const zones = bundle.zones || [];
  let place = zone;
  if (place !== null && !zones.some((known) => known.code === place)) throw new UnknownZone();
  if (place === null && longitude !== null && latitude !== null) {
    place = zoneAt(zones, longitude, latitude);
    if (place === null) throw new PlaceOutsideZones();
  }
  const revoked = new Map((bundle.revoked || []).map((item) => [item.pass_id, instant(item.revoked_at)]));
  return judgePass(token, {
    jwks: bundle.jwks,
    revoked,
    audience: String(bundle.audience),
    at: now,
    zone: place,
    leeway: Number.isInteger(bundle.leeway_seconds) ? bundle.leeway_seconds : 30,
    retiredKids: new Set(Array.isArray(bundle.retired_kids) ? bundle.retired_kids.map(String) : []),
  });
}
