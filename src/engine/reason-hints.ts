/**
 * How to fix each failure: one sentence per reason, addressed to whoever can act on it (the
 * operator of the named entity, its superior, or the resolver's operator). The same text is the
 * "how to fix" column of docs/reasons.md (a test keeps them equal); explain reports, the `fedres`
 * command line and the explorer show it as the hint of a failure.
 */
import type { FailureReason } from '../federation/errors.js';

export const REASON_HINTS: Readonly<Record<FailureReason, string>> = {
  statement_malformed:
    'The operator of the named entity must serve the bare compact JWS (no JSON wrapper, no JWE, no HTML error page) at the URL the resolver fetched.',
  statement_too_large:
    "The issuer must make the JWT smaller (fewer keys, marks or metadata); the resolver's operator may raise `MAX_RESPONSE_BYTES`.",
  typ_invalid:
    "The issuer must sign with the explicit `typ` of the kind of JWT; for a framework-specific trust mark type the resolver's operator may list it in `TRUST_MARK_TYPS`.",
  alg_not_allowed:
    "The issuer must sign with an accepted asymmetric algorithm; the resolver's operator may add the algorithm to `SIGNING_ALGORITHMS` (never `none` or HMAC).",
  kid_missing:
    'The issuer must put the `kid` of the signing key in the header, exactly as it appears in its published JWK Set.',
  kid_unknown:
    "The issuer must sign with a key that its superior publishes for it, or the superior must publish the issuer's new key in its Subordinate Statement after a rollover; the Trust Anchor's own keys are reported as `anchor_keys_mismatch`.",
  key_invalid:
    'The operator of the entity whose keys are named must publish public signature keys only, each with a unique `kid` and, when present, the right `alg` and `use: sig`.',
  signature_invalid:
    'The issuer must re-sign the JWT with the private key that belongs to the published key of that `kid`; if the key was rotated, the superior must publish the new key for it.',
  header_not_allowed: 'The issuer must sign the statement without those header parameters.',
  claim_missing:
    "The issuer must add the claim; a trust mark that names its type with a draft claim (`trust_mark_id`, `id`) is read only when the resolver's operator sets `ACCEPT_LEGACY_TRUST_MARK_CLAIMS=true`.",
  claim_invalid:
    "The issuer must correct the claim named in `claim` so that it has the form the spec defines for it; for `trust_marks` entries that use the draft names `id` or `trust_mark_id`, the resolver's operator may set `TOLERATE=legacy-trust-mark-claims` (docs/tolerances.md).",
  claim_not_allowed:
    "The issuer must remove the claim from this kind of statement or move it to the statement where it belongs; for `constraints` in an Entity Configuration or `trust_marks` in a Subordinate Statement, as deployed software publishes them, the resolver's operator may set `TOLERATE=constraints-in-entity-configuration` or `trust-marks-in-subordinate-statement` (docs/tolerances.md).",
  crit_invalid:
    'The issuer must list in `crit` only extension claims that the statement actually carries, or drop `crit`.',
  crit_not_understood:
    'The issuer must not mark the extension claim as critical (the service understands no extension claims), or remove `crit` from the JWS header.',
  entity_id_invalid:
    "The issuer must use valid Entity Identifiers; `http` identifiers are accepted only when the resolver's operator sets `ALLOW_INSECURE_HTTP=true` (tests and demos).",
  statement_expired:
    'The issuer must re-sign the statement with a later `exp`; statements are re-fetched once the failure cache (`NEGATIVE_CACHE_TTL_SECONDS`) expires.',
  statement_not_yet_valid:
    "The issuer must correct its clock and re-sign; if the resolver's own clock is wrong, its operator must fix it (`CLOCK_SKEW_SECONDS` sets the tolerated skew).",
  subject_mismatch:
    "The operator of the named entity must serve its own configuration at its well-known URL, and a superior's fetch endpoint must answer with its statement about the requested `sub`; a trust mark must be issued for the entity that carries it.",
  chain_empty:
    "The caller of the library API must pass at least the subject's Entity Configuration; the service never builds an empty chain.",
  chain_too_long:
    'The federation operator can shorten the path; library callers may pass a larger `maxChainLength`.',
  iss_sub_mismatch:
    'The caller of the library API must order the chain subject first, each statement followed by the one about its issuer; in the service, the issuer of the named statement must publish it with the right `sub`.',
  issuer_not_in_authority_hints:
    'The operator of the subordinate entity must list that superior in its `authority_hints`, or the chain must be built through a superior it lists.',
  trust_anchor_unknown:
    "The caller must name a Trust Anchor the resolver has configured; the resolver's operator adds one as a file in `TRUST_ANCHORS_DIR` and reloads with `SIGHUP`.",
  anchor_keys_mismatch:
    "The resolver's operator must obtain the anchor's current keys out of band, add them to the anchor's file in `TRUST_ANCHORS_DIR` and reload with `SIGHUP`; if the keys really differ, the federation operator must be asked before anything is changed.",
  entity_configuration_expected:
    "The subject's operator must publish a self-signed Entity Configuration; library callers must put it first in the chain.",
  subordinate_statement_expected:
    "The caller of the library API must leave the Intermediates' own configurations out of the chain; only Subordinate Statements stand between the ends.",
  max_path_length_exceeded:
    'The issuer of the named statement (a federation operator) must raise `max_path_length`, or the subject must be registered closer to that superior.',
  naming_constraint_violated:
    'The issuer of the named statement must adjust `permitted` or `excluded`, or the entity must use an identifier within the permitted names.',
  metadata_null:
    'The operator of the entity that issued the statement must leave the parameter out instead of setting it to `null`.',
  metadata_invalid:
    "The issuer must correct the metadata named in `entity_type` and `parameter`; protocol keys belong in the metadata of the protocol's Entity Type.",
  policy_invalid:
    'The federation operator who issued the statement must correct the structure of `metadata_policy` or `metadata_policy_crit`.',
  policy_operator_value_invalid:
    'The federation operator who issued the statement must give the operator named in `operator` a value of the type the spec defines for it.',
  policy_combination_invalid:
    "The federation operators of the chain must change the policies so that each parameter's operators are allowed together.",
  policy_merge_failed:
    'The federation operators of the chain must agree on compatible policies; a lower level may only tighten what a superior set.',
  policy_operator_not_understood:
    'The federation operator must not list the operator in `metadata_policy_crit`; a non-critical unknown operator is ignored.',
  policy_violation:
    "The subject's operator must change its metadata to satisfy the policy named by `entity_type`, `parameter` and `operator`, or the federation operator must relax the policy.",
  issuer_mismatch:
    'The provider must publish its Entity Identifier as `issuer` (or serve its Entity Configuration at the well-known URL of its issuer), or the superior whose policy sets `issuer` must set the right value.',
  statement_unavailable:
    'The operator of the named entity must serve its configuration at its Entity Identifier plus `/.well-known/openid-federation`, and a superior must serve its statement about the subject at its fetch endpoint; connection failures may pass and are tried again once the failure cache (`NEGATIVE_CACHE_TTL_SECONDS`) expires.',
  upstream_timeout:
    "The operator of the named entity must make the endpoint answer faster; the resolver's operator may raise `FETCH_TIMEOUT_MS` (it stays bounded by `RESOLUTION_TIMEOUT_MS`).",
  upstream_status:
    'The operator of the named entity must fix the endpoint so that it answers 200; a 429 or 5xx is tried again once the failure cache (`NEGATIVE_CACHE_TTL_SECONDS`) expires.',
  response_too_large:
    "The operator of the named entity must serve a smaller statement; the resolver's operator may raise `MAX_RESPONSE_BYTES`.",
  content_type_invalid:
    'The operator of the named entity must serve the JWT with the expected `Content-Type` and without compression.',
  redirect_refused:
    'The operator of the named entity must serve the document at the URL itself; if the entity has moved, its Entity Identifier or published endpoint must change instead.',
  address_not_allowed:
    "The operator of the named entity must publish endpoints on a public address and without credentials or fragment; the resolver's operator may set `ALLOW_PRIVATE_NETWORK=true` only for tests, demos or a closed network.",
  scheme_not_allowed:
    "The operator of the named entity must publish `https` endpoints; `http` is accepted only when the resolver's operator sets `ALLOW_INSECURE_HTTP=true` (tests and demos).",
  tls_certificate_rejected:
    'The operator of the named entity must install a valid certificate chain for the host it serves; retrying does not help until then.',
  upstream_queue_timeout:
    "The operator of the upstream should answer faster; the resolver's operator may raise `MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN` or `FETCH_QUEUE_TIMEOUT_MS`.",
  circuit_open:
    'The operator of the upstream must make it answer; the resolver retries by itself after `Retry-After`.',
  loop_detected:
    'The federation operators must remove the hint that closes the cycle; it is harmless when another branch reaches the Trust Anchor.',
  max_depth_exceeded:
    "The caller may request a Trust Anchor closer to the subject, the federation operators may shorten the hierarchy, or the resolver's operator may raise `MAX_CHAIN_DEPTH` (the chain length limit follows it).",
  authority_hints_exceeded:
    "The operator of the named entity must list fewer superiors, those that lead to the Trust Anchor first; the resolver's operator may raise `MAX_AUTHORITY_HINTS`.",
  fetch_limit_exceeded:
    "The federation operator can shorten or narrow the paths (fewer `authority_hints`, fewer levels); the resolver's operator may raise `MAX_FETCHES_PER_RESOLUTION`.",
  candidate_limit_exceeded:
    'Usually nothing needs to change, since the preferred chains were tried; federation operators may remove redundant paths (the limit is not configurable).',
  deadline_exceeded:
    "The caller may retry after `Retry-After`; the resolver's operator can find the slow upstream in the fetch durations of the diagnostics API and may raise `RESOLUTION_TIMEOUT_MS`.",
  fetch_endpoint_missing:
    "The superior's operator must publish `federation_fetch_endpoint` in its Entity Configuration.",
  no_path_to_trust_anchor:
    'The operator of the named entity must list its superiors in `authority_hints`, or the caller must request the Trust Anchor the entity belongs to.',
  entity_type_not_found:
    "The caller must use the discovery endpoint of the subject's Entity Type; the subject's operator must publish that metadata, and a superior's `allowed_entity_types` may be removing it.",
  overloaded:
    "The caller should retry after `Retry-After`; the resolver's operator may raise `MAX_CONCURRENT_RESOLUTIONS` or add replicas.",
  rate_limited:
    "The caller should retry after `Retry-After`, or spread its requests; behind a reverse proxy the resolver's operator must list the proxy in `TRUSTED_PROXIES` so clients are told apart, or may raise the budget.",
  list_invalid:
    'The operator of the named entity must serve `application/json` with an array of Entity Identifiers at its `federation_list_endpoint` (§8.2), and publish that endpoint in its `federation_entity` metadata.',
  list_entry_invalid:
    'The operator of the named entity must list only Entity Identifiers (https URLs without query or fragment).',
  crawl_entity_limit: "The resolver's operator may raise `CRAWL_MAX_ENTITIES`.",
  crawl_depth_limit:
    "The resolver's operator may raise `CRAWL_MAX_DEPTH`; a federation this deep is unusual.",
  crawl_list_limit: "The resolver's operator may raise `CRAWL_MAX_LIST_ENTRIES`.",
  crawl_time_limit:
    "The resolver's operator may raise `CRAWL_PASS_TIMEOUT_SECONDS` or `CRAWL_CONCURRENCY`; slow upstreams show in `/metrics`.",
  not_in_view:
    "The subject must be listed by its superior's `federation_list_endpoint` so the next crawl finds it, or the resolver's operator may set `RESOLVE_LIVE=always`.",
  collection_not_ready: 'Retry after `Retry-After`; the first pass starts at boot.',
  client_assertion_invalid:
    "The caller must sign the assertion (RFC 7523, OpenID Connect Core §9) with a Federation Entity Key of its own Entity Configuration, with `aud` the resolver's Entity Identifier, a fresh `jti` and a short `exp`, and its chain must resolve under one of the resolver's trust anchors.",
  client_assertion_replayed:
    'The caller must send a new assertion, with a new `jti`, for every request.',
  trust_mark_type_not_recognized:
    "The federation operator must add the type to the Trust Anchor's configuration if the federation accepts it; otherwise the mark is ignored.",
  trust_mark_issuer_not_trusted:
    'The federation operator must add the issuer to the list, or the entity must obtain the mark from a listed issuer.',
  delegation_missing:
    'The mark issuer must obtain a delegation from the owner and include it in the marks it issues.',
  delegation_invalid:
    "The mark issuer must obtain a current delegation from the owner; the federation operator must keep the owner's keys in `trust_mark_owners` up to date.",
  trust_mark_status_not_active:
    "The subject's operator must obtain a new mark from the issuer, or the issuer must correct its status records.",
  trust_mark_status_invalid:
    "The issuer's operator must fix its status endpoint so that it returns a signed `trust-mark-status-response+jwt` for the mark it was asked about.",
  trust_mark_status_unavailable:
    "The issuer's operator must publish a working status endpoint; the resolver's operator decides when checks are required with `TRUST_MARK_STATUS_CHECK` (`never`, `when-no-exp`, `always`).",
  issuer_chain_invalid:
    "The issuer's operator must fix its own chain, which the diagnostics API explains when asked with the issuer as `sub`.",
  trust_mark_not_found:
    "The caller can see in the diagnostics API's `trust_marks.rejected` why the mark was left out; the subject's operator must obtain a valid mark of that type.",
  trust_mark_limit_exceeded:
    "The subject's operator should carry fewer marks; the resolver's operator may raise `MAX_TRUST_MARKS`.",
  parameter_missing: 'The caller must send `sub` once and at least one `trust_anchor`.',
  parameter_invalid:
    "The caller must send `https` Entity Identifiers without query or fragment (`http` only when the resolver's operator sets `ALLOW_INSECURE_HTTP=true`) and URL-encode every value.",
  parameter_repeated: 'The caller must send exactly one `sub` per request.',
  too_many_parameters:
    'The caller must send fewer values, splitting the question into several requests if needed.',
  endpoint_not_found:
    "The caller must use one of the service's endpoints, for example `/resolve` or `/api/v1/explain`.",
  method_not_allowed:
    'The caller must use a method listed in `Allow`, which is `GET` (or `HEAD`) for every endpoint.',
  method_not_implemented: 'The caller must use `GET`.',
  uri_too_long: 'The caller should send fewer or shorter parameters.',
  headers_too_large:
    'The caller should send smaller headers (cookies and tokens are the usual cause).',
  body_too_large:
    'The caller should send the parameters in the query string of a GET, without a body.',
  request_malformed: 'The caller should send a well-formed request.',
  request_timeout:
    'The caller should send its request in time (a proxy in front should not hold requests back).',
  expectation_failed: 'The caller should send the request without that `Expect` header.',
  unauthorized: 'The monitoring system must send `Authorization: Bearer <METRICS_TOKEN>`.',
  configuration_invalid:
    "The resolver's operator must correct the variable named in the startup message, for example `SIGNING_ALGORITHMS` (asymmetric algorithms only), `FETCH_TIMEOUT_MS` or `MAX_RESPONSE_BYTES`.",
  internal_error:
    "The resolver's operator should take the logged error (with its cause) and report it as a bug; retrying does not help unless the condition was passing.",
};

/** The hint for a reason, or undefined for one the table does not know (a newer peer's). */
export function reasonHint(reason: string): string | undefined {
  return Object.hasOwn(REASON_HINTS, reason) ? REASON_HINTS[reason as FailureReason] : undefined;
}

/** `{ hint }` for a reason the table knows, else nothing: what a report spreads into a failure. */
export function withHint(reason: string): { hint?: string } {
  const hint = reasonHint(reason);
  return hint === undefined ? {} : { hint };
}
