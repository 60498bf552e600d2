/**
 * A test federation described as data: entities, who is whose superior, what each statement
 * says, and which faults it carries. `startTestbed` turns a {@link Topology} into a live
 * federation on loopback. Nothing here does I/O.
 *
 * Placeholders: any string inside `metadata`, `metadata_policy`, `constraints` or fault `claims`
 * may contain `{{self}}` (the Entity Identifier of the entity the statement is about),
 * `{{entity:<name>}}` (the Entity Identifier of another entity) or `{{url}}` (the testbed's base
 * URL). They are replaced when the statement is signed, because identifiers contain the port,
 * which is only known once the server listens. Example: `issuer: '{{self}}'` (§5.1.3: an OP's
 * `issuer` equals its Entity Identifier).
 *
 * Trust marks (§7): an entity may hold marks (`trustMarks`), each signed by another
 * entity of the topology (or by itself) and optionally delegated by an owner; a Trust Anchor may
 * name accredited issuers and owners (`trustMarkIssuers`, `trustMarkOwners`). Every issuer is an
 * ordinary entity with its own authority hints, so its chain resolves like any other, and it
 * serves a Trust Mark Status endpoint (§8.4) at `<id>/status`. Trust mark types may contain
 * placeholders too; in `trustMarks` they are filled as in the holder's Entity Configuration, in
 * `trustMarkIssuers`/`trustMarkOwners` as in the anchor's, so prefer `{{url}}` over `{{self}}`.
 *
 * Applications: a topology is data only. Software that lives under an entity, such as an OpenID
 * Provider whose issuer is the entity's identifier, is mounted on the running testbed
 * (`Testbed.mount`), and metadata only known once it runs (its discovery document) is published
 * with `setMetadata`; the entity itself is an ordinary member of the topology.
 *
 * Growth: new optional members can be added without breaking any topology written today.
 */
import type { Metadata, MetadataPolicy } from '../federation/metadata-policy/types.js';

/**
 * Deliberate defects of one served statement. Faults that change what is signed (`expired`,
 * `notYetValid`, `lifetimeSeconds`, `wrongKey`, `unknownKid`, `typ`, `claims`, `oversizedBytes`)
 * produce a new signed statement; the others change only how the HTTP response is written.
 */
export interface StatementFaults {
  /** `iat` and `exp` both one hour (plus the lifetime) in the past (§3.2 step 8). */
  readonly expired?: boolean;
  /** `iat` one hour in the future (§3.2 step 7). */
  readonly notYetValid?: boolean;
  /** Signed by a key nobody attests, under the same `kid` as the real key (§3.2 step 12). */
  readonly wrongKey?: boolean;
  /** Signed by a key whose `kid` nobody publishes (§3.2 step 11). */
  readonly unknownKid?: boolean;
  /** Header `typ` override; `null` removes the header parameter (§3.2 step 2). */
  readonly typ?: string | null;
  /**
   * Answer with this HTTP status. For 300–399 together with `redirectTo`, it is the redirect
   * status; for 400 and above, the body is a §8.9 JSON error unless `body` is set; below 300,
   * the usual body is sent with this status.
   */
  readonly status?: number;
  /** Milliseconds to wait before answering (added to the testbed's latency). */
  readonly delayMs?: number;
  /** Close the connection without any answer: a superior that does not answer. */
  readonly noAnswer?: boolean;
  /**
   * `exp - iat` of this statement only, in seconds, instead of its issuer's `lifetimeSeconds`:
   * a statement about to expire (§3.2 step 8 still accepts it).
   */
  readonly lifetimeSeconds?: number;
  /**
   * Pad the statement to at least this many bytes. The padding is an extension claim inside
   * the signed payload, so the body is still a valid, verifiable JWS; only its size is wrong.
   */
  readonly oversizedBytes?: number;
  /** `Content-Type` of the response instead of the correct one; `''` sends none. */
  readonly contentType?: string;
  /** Answer with a redirect (302 unless `status` is a 3xx) to this `Location`. */
  readonly redirectTo?: string;
  /** Serve exactly this body instead of the statement (or the JSON error). */
  readonly body?: string;
  /** Claims merged over the generated ones; a member whose value is `undefined` is removed. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * Deviations of deployed software (docs/tolerances.md), each the case of one `TOLERATE`
   * tolerance. In an Entity Configuration: this `constraints` claim, which §3.2 allows only in
   * Subordinate Statements (spid-cie-oidc Trust Anchors publish one).
   */
  readonly constraintsInConfiguration?: Readonly<Record<string, unknown>>;
  /**
   * In a Subordinate Statement: the subject's `trust_marks` entries (those of its Entity
   * Configuration, `[]` when it holds none), which §3.2 allows only in Entity Configurations.
   */
  readonly trustMarksInSubordinateStatement?: boolean;
  /**
   * In an Entity Configuration: `trust_mark_issuers` and `trust_mark_owners` under their draft
   * names `trust_marks_issuers` and `trust_marks_owners` (up to draft 30).
   */
  readonly draftTrustMarkClaimNames?: boolean;
}

/** One federation entity. Its Entity Identifier is `<testbed url>/<name>`. */
export interface TopologyEntity {
  /** Handle, also the path segment of its Entity Identifier: letters, digits, `-`, `_`, `.`, `~`. */
  readonly name: string;
  /** Signing algorithm of its Federation Entity Key; default `ES256`. */
  readonly alg?: string;
  /**
   * Names of its Immediate Superiors, in order (§3.1.1 `authority_hints`). Each superior issues a
   * Subordinate Statement about it at its fetch endpoint. Absent or empty: a Trust Anchor.
   */
  readonly authorityHints?: readonly string[];
  /**
   * Entity Configuration metadata. For an entity that has subordinates,
   * `federation_entity.federation_fetch_endpoint` and `federation_list_endpoint` are added
   * unless given here (§5.1.1: TAs and Intermediates MUST publish them).
   */
  readonly metadata?: Metadata;
  /** `exp - iat` of every statement it issues, in seconds; default 86400. */
  readonly lifetimeSeconds?: number;
  /** Faults of its own Entity Configuration. */
  readonly faults?: StatementFaults;
  /** Faults of its Subordinate Listing endpoint (§8.2), for an entity with subordinates. */
  readonly listFaults?: ListFaults;
  /** Default true; false answers 404 `not_found` at its well-known URL (§9: leaves SHOULD publish). */
  readonly publishConfiguration?: boolean;
  /** Trust marks in its Entity Configuration's `trust_marks` claim (§3.1.2), in this order. */
  readonly trustMarks?: readonly TrustMarkSpec[];
  /**
   * `trust_mark_issuers` of its Entity Configuration (§7.2): trust mark type → names of the
   * accredited issuers; `[]` means anyone may issue. Only honoured by readers in a Trust
   * Anchor's configuration, but served wherever it is given, so a test can show it is ignored.
   */
  readonly trustMarkIssuers?: Readonly<Record<string, readonly string[]>>;
  /**
   * `trust_mark_owners` of its Entity Configuration (§7.2): trust mark type → name of the owner,
   * served as `{ sub, jwks }` with the owner's currently published keys.
   */
  readonly trustMarkOwners?: Readonly<Record<string, string>>;
}

/** Deliberate defects of a Subordinate Listing (§8.2) answer. */
export interface ListFaults {
  /**
   * Identifiers listed besides the real subordinates: names of topology entities (a superior
   * makes a list that loops back up) or any other string (an unknown entity, or not a URL).
   */
  readonly extra?: readonly string[];
  /** Names of subordinates the list leaves out (they still chain up to the entity). */
  readonly omit?: readonly string[];
  /** Answer with this HTTP status and a §8.9 JSON error instead of the list. */
  readonly status?: number;
  /** Pad the list with this many made-up identifiers (`<url>/padding-<n>`): an oversized list. */
  readonly padding?: number;
  /** Serve exactly this body instead of the list. */
  readonly body?: string;
}

/**
 * Deliberate defects of one trust mark. Each one produces a newly signed mark (and so a newly
 * signed Entity Configuration of its holder).
 */
export interface TrustMarkFaults {
  /** `exp` one hour in the past, `iat` one lifetime before it (§7.3 step 6). */
  readonly expired?: boolean;
  /** `iat` one hour in the future (§7.3 step 5). */
  readonly notYetValid?: boolean;
  /** Signed by a key the issuer does not publish, under the issuer's real `kid` (§7.3 step 7). */
  readonly wrongKey?: boolean;
  /** Header `typ` override; `null` removes it (§7.3 step 2: `trust-mark+jwt`). */
  readonly typ?: string | null;
  /**
   * The `trust_mark_type` of the entry in the holder's `trust_marks`, different from the one in
   * the JWT (§3.1.2: they MUST be equal).
   */
  readonly outerType?: string;
  /** Name of another entity: the mark is issued about it, not about its holder (§7.3 step 4). */
  readonly sub?: string;
  /** The `delegation` is signed by a key the owner does not publish, under its `kid` (§7.2.2). */
  readonly delegationWrongKey?: boolean;
  /** The `delegation`'s `exp` is one hour in the past (§7.2.2). */
  readonly delegationExpired?: boolean;
  /**
   * The draft claim name instead of `trust_mark_type`, in the JWT and in the outer entry
   * (`id` up to draft 41, `trust_mark_id` in draft 42; docs/decisions.md). The delegation keeps
   * `trust_mark_type`.
   */
  readonly legacyClaimName?: 'id' | 'trust_mark_id';
}

/** The `status` values of a Trust Mark Status response (§8.4.2). */
export type TrustMarkStatusValue = 'active' | 'expired' | 'revoked' | 'invalid';

/**
 * What the issuer's Trust Mark Status endpoint answers about one mark: a signed response with
 * this `status`, or, for `{ http }`, that HTTP error status (400–599) with a §8.9 JSON body.
 */
export type TrustMarkStatus = TrustMarkStatusValue | { readonly http: number };

/** Deliberate defects of the signed Trust Mark Status responses about one mark. */
export interface TrustMarkStatusFaults {
  /** Signed by a key the issuer does not publish, under its real `kid` (§8.4.2). */
  readonly wrongKey?: boolean;
  /** Header `typ` override; `null` removes it (§8.4.2: `trust-mark-status-response+jwt`). */
  readonly typ?: string | null;
  /** Milliseconds to wait before answering (added to the testbed's latency). */
  readonly delayMs?: number;
}

/** One trust mark held by an entity (§7.1). */
export interface TrustMarkSpec {
  /** `trust_mark_type`; placeholders allowed, e.g. `'{{url}}/marks/certified'`. */
  readonly type: string;
  /** Name of the issuing entity; the holder itself for a self-signed mark (§7.1). */
  readonly issuer: string;
  /** `exp - iat` in seconds; `null` leaves out `exp` (§7.1: the mark never expires). Default 86400. */
  readonly lifetimeSeconds?: number | null;
  /**
   * Name of the trust mark owner: the mark carries a `delegation` JWT signed by the owner's key,
   * with the same lifetime as the mark (§7.2.1).
   */
  readonly delegatedBy?: string;
  /** Defects of the mark or its delegation. */
  readonly faults?: TrustMarkFaults;
  /**
   * Claims merged over the generated ones (`logo_uri`, `ref`, …; placeholders allowed); a member
   * whose value is `undefined` is removed.
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** What the issuer's status endpoint says about it at start; default `active`. */
  readonly status?: TrustMarkStatus;
  /** Defects of the issuer's status responses about it at start. */
  readonly statusFaults?: TrustMarkStatusFaults;
}

/** Extra content or faults of the Subordinate Statement `issuer` → `subject`. */
export interface SubordinateSpec {
  /** Name of the issuing superior; must be among the subject's `authorityHints`. */
  readonly issuer: string;
  /** Name of the subject. */
  readonly subject: string;
  /** `metadata` of the statement (§3.1.3: overrides the subject's own metadata). */
  readonly metadata?: Metadata;
  /** `metadata_policy` of the statement (§6.1). */
  readonly metadata_policy?: MetadataPolicy;
  /** `metadata_policy_crit` of the statement (§6.1.3.2). */
  readonly metadata_policy_crit?: readonly string[];
  /** `constraints` of the statement (§6.2). */
  readonly constraints?: Readonly<Record<string, unknown>>;
  /** Faults of this statement. */
  readonly faults?: StatementFaults;
}

/** A whole test federation. */
export interface Topology {
  /** Every entity, with unique names. */
  readonly entities: readonly TopologyEntity[];
  /** Extra content of Subordinate Statements; pairs not listed get a plain statement. */
  readonly subordinates?: readonly SubordinateSpec[];
}

/** Which served statement a fault applies to: an Entity Configuration or a Subordinate Statement. */
export type FaultTarget =
  { readonly entity: string } | { readonly issuer: string; readonly subject: string };
