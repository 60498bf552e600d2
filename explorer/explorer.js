// The federation explorer. It reads the resolver's own JSON APIs on its own origin and draws what
// they say. Every value that comes from a statement is untrusted text: the page is built with
// createElement and textContent only, and no URL taken from a statement is fetched or linked.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  /** An element with attributes (`class`, `data-*`, ARIA; never a URL from data) and children. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== undefined && child !== null && child !== false) node.append(child);
    }
    return node;
  }

  /** GET of one of the resolver's JSON APIs (relative: the page's own origin), without cookies. */
  async function api(path, params) {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(query === '' ? path : `${path}?${query}`, {
      headers: { Accept: 'application/json' },
      credentials: 'omit',
    });
    const body = await response.json().catch(() => ({}));
    return { status: response.status, ok: response.ok, body };
  }

  /** Header and claims of a compact JWS, decoded and not verified (the resolver verified it). */
  function decodeJwt(jwt) {
    const part = (text) => {
      const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(base64 + '==='.slice((base64.length + 3) % 4));
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    };
    try {
      const [header, claims] = jwt.split('.');
      return { header: part(header), claims: part(claims) };
    } catch {
      return undefined;
    }
  }

  /** A time in seconds as a date, with how long until (or since) it. */
  function when(seconds) {
    if (typeof seconds !== 'number') return String(seconds);
    const delta = seconds - Date.now() / 1000;
    const abs = Math.abs(delta);
    const span =
      abs >= 86400
        ? `${Math.floor(abs / 86400)} d ${Math.floor((abs % 86400) / 3600)} h`
        : abs >= 3600
          ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`
          : `${Math.floor(abs / 60)} min`;
    const date = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
    return `${date} (${delta >= 0 ? `in ${span}` : `${span} ago`})`;
  }

  const json = (value) => JSON.stringify(value, null, 2);

  /** Upcoming expiries shown in the health report. */
  const SHOWN_EXPIRIES = 8;

  /** The failure box: reason code, spec section, statement index, the sentence and the hint. */
  function failureBox(failure) {
    return el(
      'div',
      { class: 'failure' },
      el(
        'p',
        {},
        el('code', { class: 'reason' }, failure.reason ?? failure.error ?? 'error'),
        failure.section === undefined ? '' : ` · spec ${failure.section}`,
        failure.statement_index === undefined ? '' : ` · statement ${failure.statement_index}`,
      ),
      el('p', { class: 'description' }, failure.error_description ?? ''),
      failure.hint === undefined
        ? undefined
        : el('p', { class: 'hint' }, 'How to fix: ', failure.hint),
    );
  }

  const state = { report: undefined };

  /** The statement received for an Entity Configuration or a Subordinate Statement, if any. */
  function fetchOf(kind, iss, sub) {
    return (state.report?.fetches ?? []).find(
      (fetch) => fetch.kind === kind && fetch.iss === iss && fetch.sub === sub,
    );
  }

  /** Shows one fetched statement decoded in the inspector. */
  function inspect(title, fetch) {
    $('inspector').hidden = false;
    $('inspector').scrollIntoView({ block: 'nearest' });
    $('inspector-title').textContent = title;
    const facts = $('inspector-facts');
    facts.replaceChildren();
    const fact = (name, value) => facts.append(el('dt', {}, name), el('dd', {}, value));
    if (fetch === undefined) {
      fact('statement', 'not fetched in this resolution');
      $('inspector-header').textContent = '';
      $('inspector-claims').textContent = '';
      return;
    }
    fact('URL', fetch.url);
    fact('HTTP status', fetch.status === undefined ? 'no answer' : String(fetch.status));
    if (fetch.error !== undefined) facts.append(el('dd', {}, failureBox(fetch.error)));
    const decoded = fetch.statement === undefined ? undefined : decodeJwt(fetch.statement);
    if (decoded !== undefined) {
      fact('issued (iat)', when(decoded.claims.iat));
      fact('expires (exp)', when(decoded.claims.exp));
    }
    $('inspector-header').textContent =
      decoded !== undefined
        ? json(decoded.header)
        : fetch.statement_omitted === true
          ? '(received, but too large to repeat in this report)'
          : '(none received)';
    $('inspector-claims').textContent = decoded === undefined ? '' : json(decoded.claims);
  }

  /** Where a branch's failure lies: `{ node, link }` index along its path (statement index, §4). */
  function failurePlace(branch) {
    const index = branch.failure?.statement_index;
    const last = branch.path.length - 1;
    if (index === undefined) return { node: last };
    if (index === 0) return { node: 0 };
    if (index <= last) return { link: index };
    return { node: last };
  }

  /** The tree of every path tried, rooted at the subject: one node per distinct path prefix. */
  function buildTree(report) {
    const root = {
      entity: report.sub,
      depth: 0,
      children: [],
      branches: [],
      failures: [],
      linkFailures: [],
    };
    const chosen = report.chosen?.trust_chain ?? [];
    const onChosen = (path, depth) =>
      chosen.length > depth && path.slice(0, depth + 1).every((id, i) => id === chosen[i]);
    for (const branch of report.branches) {
      const place = failurePlace(branch);
      let node = root;
      root.branches.push(branch);
      branch.path.forEach((entity, depth) => {
        if (depth > 0) {
          let child = node.children.find((c) => c.entity === entity);
          if (child === undefined) {
            child = { entity, depth, children: [], branches: [], failures: [], linkFailures: [] };
            node.children.push(child);
          }
          child.parent = node;
          node = child;
          node.branches.push(branch);
        }
        node.chosen ||= onChosen(branch.path, depth);
        if (branch.failure !== undefined && place.node === depth)
          node.failures.push(branch.failure);
        if (branch.failure !== undefined && place.link === depth)
          node.linkFailures.push(branch.failure);
      });
    }
    return root;
  }

  /** The status of the link into `node`: failed, valid, not evaluated, or on a failing path. */
  function linkStatus(node) {
    if (node.linkFailures.length > 0) return 'failed';
    if (node.branches.some((b) => b.status === 'valid')) return 'valid';
    if (node.branches.every((b) => b.status === 'not_evaluated')) return 'not evaluated';
    return 'on a failing path';
  }

  function drawNode(node, anchors) {
    const fetch = fetchOf('entity_configuration', node.entity, node.entity);
    const decoded = fetch?.statement === undefined ? undefined : decodeJwt(fetch.statement);
    const metadata = decoded?.claims?.metadata ?? {};
    const name = metadata.federation_entity?.organization_name;
    const role =
      node.depth === 0
        ? 'subject'
        : node.children.length === 0 && anchors.includes(node.entity)
          ? 'trust anchor'
          : 'intermediate';
    const card = el(
      'button',
      {
        type: 'button',
        class: `node${node.failures.length > 0 ? ' failed' : ''}${node.chosen ? ' chosen' : ''}`,
        'data-entity': node.entity,
      },
      el('span', { class: 'role' }, role),
      el('span', { class: 'entity-id' }, node.entity),
      typeof name === 'string' ? el('span', { class: 'name' }, name) : undefined,
      el('span', { class: 'types' }, Object.keys(metadata).join(' · ') || 'entity types unknown'),
    );
    card.addEventListener('click', () => inspect(`Entity Configuration of ${node.entity}`, fetch));
    const children = el('div', { class: 'children' });
    for (const child of node.children) {
      const status = linkStatus(child);
      const statement = fetchOf('subordinate_statement', child.entity, node.entity);
      const link = el(
        'button',
        {
          type: 'button',
          class: `link ${status.replace(/ /g, '-')}${child.chosen ? ' chosen' : ''}`,
          'data-iss': child.entity,
          'data-sub': node.entity,
        },
        el('span', { class: 'arrow' }, '↑ '),
        el('span', { class: 'status' }, status),
      );
      link.addEventListener('click', () =>
        inspect(`Subordinate Statement by ${child.entity} about ${node.entity}`, statement),
      );
      children.append(
        el(
          'div',
          { class: 'subtree' },
          link,
          ...child.linkFailures.map(failureBox),
          drawNode(child, anchors),
        ),
      );
    }
    return el(
      'div',
      { class: 'tree-node' },
      card,
      ...node.failures.map(failureBox),
      node.children.length > 0 ? children : undefined,
    );
  }

  function drawMetadata(metadata) {
    const box = $('metadata');
    box.replaceChildren();
    const types = Object.entries(metadata ?? {});
    if (types.length === 0) box.append(el('p', {}, 'None: the chain did not resolve.'));
    for (const [type, parameters] of types) {
      box.append(el('h3', {}, type), el('pre', {}, json(parameters)));
    }
  }

  function drawTrustMarks(marks) {
    const box = $('trust-marks');
    box.replaceChildren();
    const rows = [
      ...(marks?.verified ?? []).map((mark) => ({ mark, verdict: 'verified' })),
      ...(marks?.rejected ?? []).map((mark) => ({ mark, verdict: 'rejected' })),
    ];
    if (rows.length === 0) box.append(el('p', {}, 'None.'));
    const list = el('ul', { class: 'marks' });
    for (const { mark, verdict } of rows) {
      list.append(
        el(
          'li',
          { class: verdict },
          el('strong', {}, verdict),
          ' ',
          el('span', { class: 'entity-id' }, mark.trust_mark_type ?? '(no type)'),
          mark.iss === undefined
            ? ''
            : el(
                'span',
                { class: 'detail' },
                ' issued by ',
                el('span', { class: 'entity-id' }, mark.iss),
              ),
          mark.exp === undefined
            ? ''
            : el('span', { class: 'detail' }, ` · expires ${when(mark.exp)}`),
          mark.failure === undefined ? undefined : failureBox(mark.failure),
        ),
      );
    }
    box.append(list);
  }

  /** Explains `sub` under `trustAnchor` and draws the report. */
  async function explain(sub, trustAnchor) {
    $('status').textContent = `Resolving ${sub} …`;
    $('result').hidden = true;
    $('inspector').hidden = true;
    const { ok, body } = await api('api/v1/explain', { sub, trust_anchor: trustAnchor });
    if (!ok) {
      state.report = undefined;
      $('status').replaceChildren(failureBox(body));
      return;
    }
    state.report = body;
    $('status').textContent = '';
    const outcome = $('outcome');
    outcome.replaceChildren(
      body.outcome === 'resolved'
        ? el(
            'p',
            { class: 'resolved' },
            `Resolved through ${body.chosen.trust_chain.length} entities, valid until ${when(body.chosen.exp)}; chosen: ${body.chosen.why ?? ''}.`,
          )
        : el(
            'div',
            {},
            el('p', { class: 'failed' }, 'The chain does not resolve.'),
            failureBox(body.error),
          ),
    );
    $('tree').replaceChildren(drawNode(buildTree(body), body.trust_anchors.used));
    $('download').disabled = body.outcome !== 'resolved';
    drawMetadata(body.metadata);
    drawTrustMarks(body.trust_marks);
    $('result').hidden = false;
  }

  /** Saves the validated chain (compact JWS, subject first) as a JSON file. */
  function download() {
    const report = state.report;
    if (report?.chosen === undefined) return;
    const file = {
      sub: report.sub,
      trust_anchor: report.chosen.trust_anchor,
      exp: report.chosen.exp,
      trust_chain: report.chosen.trust_chain_statements,
    };
    const url = URL.createObjectURL(new Blob([json(file)], { type: 'application/json' }));
    const link = el('a', { download: 'trust-chain.json' });
    link.href = url;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** The members of the selected anchor matching the search box and the type filter. */
  async function drawMembers() {
    const trustAnchor = $('trust-anchor').value;
    const params = new URLSearchParams({ trust_anchor: trustAnchor, limit: '100' });
    if ($('search').value.trim() !== '') params.set('query', $('search').value.trim());
    if ($('entity-type').value !== '') params.set('entity_type', $('entity-type').value);
    const { ok, body } = await api('collection', params);
    const list = $('members');
    list.replaceChildren();
    if (!ok) {
      list.append(el('li', {}, failureBox(body)));
      return;
    }
    if (body.entities.length === 0) list.append(el('li', {}, 'No member matches.'));
    for (const entity of body.entities) {
      const names = Object.values(entity.ui_infos ?? {})
        .map((info) => info.display_name)
        .filter((name) => typeof name === 'string');
      const open = el(
        'button',
        { type: 'button', class: 'member' },
        el('span', { class: 'entity-id' }, entity.entity_id),
        names.length > 0 ? el('span', { class: 'name' }, names.join(' · ')) : undefined,
        el('span', { class: 'types' }, (entity.entity_types ?? []).join(' · ')),
      );
      open.addEventListener('click', () => go(entity.entity_id, trustAnchor));
      list.append(el('li', {}, open));
    }
  }

  async function drawHealth() {
    const { ok, body } = await api('api/v1/federation', { trust_anchor: $('trust-anchor').value });
    const box = $('health');
    box.replaceChildren();
    if (!ok) {
      box.append(failureBox(body));
      return;
    }
    const { total, resolved, failed } = body.members;
    box.append(
      el(
        'p',
        {},
        `${total} members: ${resolved} resolve, ${failed} fail (checked ${when(body.checked_at)}).`,
      ),
    );
    const failures = el('ul', { class: 'health failures' });
    for (const failure of body.failures) {
      const open = el(
        'button',
        { type: 'button', class: 'member' },
        el('span', { class: 'entity-id' }, failure.entity_id),
      );
      open.addEventListener('click', () => go(failure.entity_id, body.trust_anchor));
      failures.append(el('li', { class: 'bad' }, open, failureBox(failure)));
    }
    // The report lists the soonest first; the first few are what needs doing now.
    // Listings the crawl could not read hide their members: failures of the federation too.
    for (const failure of body.list_failures ?? []) {
      failures.append(
        el(
          'li',
          { class: 'bad' },
          'Subordinate listing of ',
          el('span', { class: 'entity-id' }, failure.entity_id),
          failureBox(failure),
        ),
      );
    }
    const expiring = el('ul', { class: 'health expiring' });
    for (const item of body.expiring.slice(0, SHOWN_EXPIRIES)) {
      expiring.append(
        el(
          'li',
          { class: 'warn' },
          el('span', { class: 'entity-id' }, item.entity_id),
          ` · ${item.kind === 'trust_mark' ? 'trust mark' : 'statement'} expires ${when(item.exp)}`,
          el('div', { class: 'entity-id detail' }, item.url),
        ),
      );
    }
    const more = body.expiring.length - SHOWN_EXPIRIES;
    box.append(
      el('h4', {}, 'Failures'),
      failures.childElementCount === 0 ? el('p', {}, 'None.') : failures,
      el('h4', {}, 'Expiring soon'),
      body.expiring.length === 0 ? el('p', {}, 'Nothing.') : expiring,
      more > 0
        ? el('p', { class: 'detail' }, `… and ${more} more (/api/v1/federation lists them all).`)
        : undefined,
    );
  }

  function drawFederation() {
    if ($('federation').hidden) return;
    void drawMembers();
    void drawHealth();
  }

  /** Opens `sub` under `trustAnchor`, with a link (the address bar) that opens the same view. */
  function go(sub, trustAnchor) {
    $('sub').value = sub;
    $('trust-anchor').value = trustAnchor;
    history.pushState(null, '', `?${new URLSearchParams({ sub, trust_anchor: trustAnchor })}`);
    void explain(sub, trustAnchor);
  }

  function fromAddress() {
    const params = new URLSearchParams(location.search);
    const sub = params.get('sub');
    const trustAnchor = params.get('trust_anchor');
    const select = $('trust-anchor');
    if (trustAnchor !== null && ![...select.options].some((o) => o.value === trustAnchor)) {
      select.append(el('option', {}, trustAnchor));
    }
    if (trustAnchor !== null) select.value = trustAnchor;
    if (sub !== null && sub !== '') {
      $('sub').value = sub;
      void explain(sub, select.value);
    }
  }

  async function start() {
    const { ok, body } = await api('api/v1/trust-anchors', {});
    const select = $('trust-anchor');
    for (const anchor of ok ? body.trust_anchors : []) select.append(el('option', {}, anchor));
    $('federation').hidden = !(ok && body.crawl);
    $('query').addEventListener('submit', (event) => {
      event.preventDefault();
      go($('sub').value.trim(), select.value);
    });
    $('download').addEventListener('click', download);
    let typing;
    $('search').addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(drawMembers, 250);
    });
    $('entity-type').addEventListener('change', drawMembers);
    select.addEventListener('change', drawFederation);
    window.addEventListener('popstate', fromAddress);
    fromAddress();
    drawFederation();
  }

  document.addEventListener('DOMContentLoaded', () => void start());
})();
